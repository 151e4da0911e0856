// Package issuer is the front end that publishes each account's OpenID
// Connect issuer documents (outbound web identity federation): the
// discovery document and the JWKS at
// ISSUER/.well-known/openid-configuration and ISSUER/.well-known/jwks.json,
// where ISSUER is BASE/oidc/ACCOUNT/ID. It reads them through iam and
// decides nothing: the documents are public.
package issuer

import (
	"encoding/json"
	"net/http"
	"strings"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/warden-iam/warden/iam"
)

// Handler serves the issuer documents under iam.IssuerPath.
type Handler struct {
	IAM *iam.Service
}

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	rest, _ := strings.CutPrefix(r.URL.Path, iam.IssuerPath)
	parts := strings.Split(rest, "/")
	if len(parts) != 4 || parts[2] != ".well-known" || len(parts[0]) != 12 || parts[1] == "" {
		http.NotFound(w, r)
		return
	}
	account, id, doc := parts[0], parts[1], parts[3]
	keys, algs, err := h.IAM.OutboundPublicKeys(r.Context(), account, id)
	if err != nil {
		http.NotFound(w, r)
		return
	}
	issuerURL := strings.TrimRight(h.IAM.IssuerBase, "/") + iam.IssuerPath + account + "/" + id
	var body any
	switch doc {
	case "openid-configuration":
		body = map[string]any{"issuer": issuerURL, "jwks_uri": issuerURL + "/.well-known/jwks.json",
			"response_types_supported": []string{"id_token"}, "subject_types_supported": []string{"public"},
			"id_token_signing_alg_values_supported": []string{"RS256", "ES384"}, "claims_supported": []string{"aud", "exp", "iat", "iss", "sub"}}
	case "jwks.json":
		set := jose.JSONWebKeySet{}
		for kid, k := range keys {
			set.Keys = append(set.Keys, jose.JSONWebKey{Key: k, KeyID: kid, Algorithm: algs[kid], Use: "sig"})
		}
		body = set
	default:
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "max-age=3600")
	json.NewEncoder(w).Encode(body)
}
