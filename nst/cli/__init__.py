"""The command line, one module per subcommand: `main` dispatches (python -m nst, the `nst` script),
`paint` paints one photo, `batch` many, `video` a clip; `options` holds what they share."""
