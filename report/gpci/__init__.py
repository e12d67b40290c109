"""Geographic practice cost indices: `import-gpci` and Medicare payments by locality."""
