package config

import _ "embed"

// DefaultMenu is config/menu.json as shipped: the custom menu, the welcome
// message and the keyword replies. YV_MENU_FILE replaces it.
//
//go:embed menu.json
var DefaultMenu []byte
