package stats

// reportError for the external tests.
var ReportErrorForTest = reportError
