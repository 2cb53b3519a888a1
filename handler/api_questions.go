package handler

import "github.com/gin-gonic/gin"

// registerQuestionAPI mounts the questions, moderation and cadre API.
func (w *Web) registerQuestionAPI(r gin.IRouter) {}
