"""Files in and out: imports (a job of rows through the validation layer) and exports, one module per format."""
