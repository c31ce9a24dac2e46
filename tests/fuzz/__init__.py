"""Fuzz targets (atheris): feed parsing, config loading and the query parser.

Each module runs by hand for as long as wanted (`python tests/fuzz/feed.py
-max_total_time=600 WORKDIR`); `tests/test_fuzz.py` runs each briefly and replays the
crashes kept in `tests/fixtures/fuzz/<target>/`.
"""
