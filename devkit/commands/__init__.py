"""Subcommands of `mimecast-at`: each module offers add_arguments(parser) and run(args) -> exit status."""
