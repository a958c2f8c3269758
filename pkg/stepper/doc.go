// Package stepper is the release state machine of one canary, as a pure
// function.
//
// [Next] takes the configuration, the persisted [Status], the
// [Observations] the controller gathered and the current time, and returns
// the next Status and the [Actions] that make it true. It reads no clock
// and calls no client: timing is expressed as [Actions.Requeue], which the
// controller turns into a delayed workqueue item.
//
// # Phases
//
//	Initializing → Ready → Progressing (step 0..n) → Promoting → Succeeded
//	                           ↘ RollingBack → Failed
//	any phase ⇄ Paused
//
// A new revision while idle (Ready, Succeeded, Failed) starts a release at
// step 0; a new revision during a release supersedes it and starts again at
// step 0. Weight moves only when the canary is available and the
// DestinationRule has its subset, so traffic never goes to a subset without
// Ready pods.
package stepper
