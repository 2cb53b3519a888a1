package handler

import "github.com/gin-gonic/gin"

// registerStationPages mounts the station and booking pages under /h5.
func (w *Web) registerStationPages(h gin.IRouter) {}
