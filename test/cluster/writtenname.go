package cluster

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"

	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/client-go/kubernetes/scheme"
)

// writtenName returns the name of the object a write request writes: the
// path's segment after the resource for a named request, else the body's
// metadata.name (a create), decoded from JSON or, for the built-in kinds,
// protobuf. The body is put back for the request to go on.
func writtenName(r *http.Request) string {
	segs := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	for i, s := range segs {
		if s == "namespaces" && i+3 < len(segs) {
			return segs[i+3]
		}
	}
	if r.Method != http.MethodPost || r.Body == nil {
		return ""
	}
	body, err := io.ReadAll(r.Body)
	r.Body = io.NopCloser(bytes.NewReader(body))
	if err != nil {
		return ""
	}
	if obj, _, err := scheme.Codecs.UniversalDeserializer().Decode(body, nil, nil); err == nil {
		if m, err := meta.Accessor(obj); err == nil {
			return m.GetName()
		}
	}
	var partial struct {
		Metadata struct {
			Name string `json:"name"`
		} `json:"metadata"`
	}
	_ = json.Unmarshal(body, &partial)
	return partial.Metadata.Name
}
