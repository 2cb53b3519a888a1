package api

import (
	"net/http"

	"github.com/gin-gonic/gin"
)

// ok writes the success envelope of /api/v1.
func ok(c *gin.Context, status int, data any) {
	c.JSON(status, gin.H{"data": data})
}

// okList answers a list from a service through view, or the service's
// error.
func okList[T, V any](w *API, c *gin.Context, items []T, err error, view func(T) V) {
	if err != nil {
		w.kit.Fail(c, err)
		return
	}
	ok(c, http.StatusOK, viewAll(items, view))
}

// viewAll maps items to their API views; an empty list is [] in JSON.
func viewAll[T, V any](items []T, view func(T) V) []V {
	out := make([]V, 0, len(items))
	for _, it := range items {
		out = append(out, view(it))
	}
	return out
}
