"""Academic integrity: how alike students' submissions are."""
