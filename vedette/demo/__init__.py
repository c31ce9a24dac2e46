"""`vedette demo`: the whole pipeline on a bundled sample site, offline."""

from vedette.demo.tour import run_demo

__all__ = ["run_demo"]
