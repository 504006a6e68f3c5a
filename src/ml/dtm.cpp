// Placeholder: denoising thermodynamic models land here (issue 4).
