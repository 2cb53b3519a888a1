package config

import _ "embed"

// DefaultMenu is config/menu.json as shipped: the custom menu, the welcome
// message and the keyword replies. YV_MENU_FILE replaces it.
//
//go:embed menu.json
var DefaultMenu []byte

// DefaultSensitiveWords is config/sensitive_words.txt as shipped.
// YV_SENSITIVE_WORDS_FILE replaces it.
//
//go:embed sensitive_words.txt
var DefaultSensitiveWords []byte
