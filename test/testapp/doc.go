// Package testapp is the app the end-to-end suites release (test/e2e with
// the simulator routing by the API objects, test/xds with it routing by
// istiod's xDS): the Service and the user's Deployment "web", the changes
// a user makes to it (opt in or out, update), and the conditions the suites
// wait for in its release status. The suites keep their own app types (what
// they record differs); what both need is here once.
package testapp
