package config

import (
	"fmt"
	"os"
	"strings"
)

// ReadPEM reads a certificate or key setting the way Kong does: the value
// is the PEM text itself when it holds a PEM block, else a file path.
func ReadPEM(setting, value string) ([]byte, error) {
	if strings.Contains(value, "-----BEGIN") {
		return []byte(value), nil
	}
	b, err := os.ReadFile(value)
	if err != nil {
		return nil, fmt.Errorf("%s: read %s: %w", setting, value, err)
	}
	return b, nil
}
