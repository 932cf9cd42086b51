from .colormap import colorize

__all__ = ['colorize']
