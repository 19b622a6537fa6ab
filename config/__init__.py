"""What an instance is told: its settings (config.toml and the environment), the commented file
`quartiers init` writes, and the URL scheme of its actors and objects."""

__version__ = "0.1.0"
