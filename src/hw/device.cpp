// Placeholder: the TSU hardware model lands here (issue 3).
