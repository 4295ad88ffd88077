"""Figures of the book, one function per figure kind, one shared style.

Submodules: :mod:`~rnnctx_utils.plots.style` (colours, rcParams), and one module per group of
chapters (``task``, ``dynamics``, ``context``, ``toy``). Import the submodule you need; this
package imports nothing heavy.
"""
