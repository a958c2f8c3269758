package gates

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
)

// maxWebhookResponse bounds the answer read from a webhook gate or a hook.
const maxWebhookResponse = 64 << 10

// postJSON POSTs body as JSON to url with the given headers and returns the
// answer (at most maxWebhookResponse bytes) and its HTTP status. The error
// says which step failed, prefixed with what (for example "webhook").
func postJSON(ctx context.Context, client *http.Client, what, url string, body any, headers map[string]string) ([]byte, int, error) {
	data, err := json.Marshal(body)
	if err != nil {
		return nil, 0, fmt.Errorf("%s request: %w", what, err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(data))
	if err != nil {
		return nil, 0, fmt.Errorf("%s request: %w", what, err)
	}
	req.Header.Set("Content-Type", "application/json")
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, 0, fmt.Errorf("%s call failed: %w", what, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxWebhookResponse))
	if err != nil {
		return nil, 0, fmt.Errorf("%s answer unreadable: %w", what, err)
	}
	return raw, resp.StatusCode, nil
}
