// Package benchproc is what the load benches under cmd/ (wxbench,
// alertbench) share: building the binaries under test, running them as
// child processes and reading their logs, and accounting the CPU of every
// process involved from /proc.
package benchproc
