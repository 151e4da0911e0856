package warden

import (
	"net"
	"strings"
)

// SourceIP is the client address of a request that arrived from remoteAddr
// (host:port) carrying the X-Forwarded-For header xff: the first forwarded
// address when the front end trusts its proxy's headers and that address
// parses, else the host of remoteAddr.
func SourceIP(remoteAddr, xff string, trustProxy bool) string {
	if trustProxy && xff != "" {
		first, _, _ := strings.Cut(xff, ",")
		if ip := net.ParseIP(strings.TrimSpace(first)); ip != nil {
			return ip.String()
		}
	}
	host, _, err := net.SplitHostPort(remoteAddr)
	if err != nil {
		return remoteAddr
	}
	return host
}
