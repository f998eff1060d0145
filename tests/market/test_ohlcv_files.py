import numpy as np
import pandas as pd
import pytest

from market.feeds.files import OhlcvFileError, read_ohlcv_file

HEADER = "time,open,high,low,close,volume\n"
GOOD_ROWS = [
    "1700000000000,100.0,101.5,99.5,101.0,12.5",
    "1700000060000,101.0,102.0,100.5,100.75,3",
    "1700000120000,100.75,100.75,99.0,99.25,0",
]


def write(tmp_path, text, name="candles.csv"):
    path = tmp_path / name
    path.write_text(text)
    return path


def expected_frame():
    return pd.DataFrame(
        {
            "open": [100.0, 101.0, 100.75],
            "high": [101.5, 102.0, 100.75],
            "low": [99.5, 100.5, 99.0],
            "close": [101.0, 100.75, 99.25],
            "volume": [12.5, 3.0, 0.0],
        },
        index=pd.Index([1700000000000, 1700000060000, 1700000120000], name="time", dtype="int64"),
    )


def test_reads_a_good_csv_with_millisecond_times(tmp_path):
    frame = read_ohlcv_file(write(tmp_path, HEADER + "\n".join(GOOD_ROWS) + "\n"))
    pd.testing.assert_frame_equal(frame, expected_frame())
    assert frame.index.dtype == np.int64
    assert all(frame[c].dtype == np.float64 for c in frame.columns)


def test_reads_epoch_seconds_and_any_column_order_and_case(tmp_path):
    text = "Volume,Close,Low,High,Open,Timestamp,note\n" + "\n".join(
        [
            "12.5,101.0,99.5,101.5,100.0,1700000000,a",
            "3,100.75,100.5,102.0,101.0,1700000060,b",
            "0,99.25,99.0,100.75,100.75,1700000120,c",
        ]
    )
    pd.testing.assert_frame_equal(read_ohlcv_file(write(tmp_path, text)), expected_frame())


def test_reads_iso_times_with_and_without_offset_as_utc(tmp_path):
    text = HEADER + "\n".join(
        [
            "2023-11-14T22:13:20Z,100.0,101.5,99.5,101.0,12.5",
            "2023-11-14 23:14:20+01:00,101.0,102.0,100.5,100.75,3",
            "2023-11-14T22:15:20,100.75,100.75,99.0,99.25,0",
        ]
    )
    pd.testing.assert_frame_equal(read_ohlcv_file(write(tmp_path, text)), expected_frame())


def test_reads_parquet_with_datetime_or_integer_times(tmp_path):
    frame = expected_frame().reset_index()
    as_dates = frame.assign(time=pd.to_datetime(frame["time"], unit="ms", utc=True))
    as_dates.to_parquet(tmp_path / "dates.parquet")
    frame.to_parquet(tmp_path / "ints.parquet")
    for name in ("dates.parquet", "ints.parquet"):
        pd.testing.assert_frame_equal(read_ohlcv_file(tmp_path / name), expected_frame())


def test_blank_lines_are_skipped_but_counted(tmp_path):
    text = HEADER + GOOD_ROWS[0] + "\n\n" + GOOD_ROWS[1] + "\n\n"
    assert len(read_ohlcv_file(write(tmp_path, text))) == 2
    bad = HEADER + GOOD_ROWS[0] + "\n\n\n" + "1700000060000,101,100,100.5,100.75,3\n"
    with pytest.raises(OhlcvFileError) as error:
        read_ohlcv_file(write(tmp_path, bad))
    assert error.value.line == 5


BAD_ROWS = [
    ("1700000060000,101.0,102.0,100.5,,3", "close is missing"),
    ("1700000060000,101.0,102.0", "low is missing"),
    ("1700000060000,101.0,abc,100.5,100.75,3", "high 'abc' is not a number"),
    ("1700000060000,101.0,102.0,NaN,100.75,3", "low is NaN"),
    ("1700000060000,101.0,102.0,100.5,100.75,inf", "volume is inf"),
    ("1700000060000,0,102.0,0,100.75,3", "open 0 must be > 0"),
    ("1700000060000,-1,102.0,-2,100.75,3", "open -1 must be > 0"),
    ("1700000060000,101.0,100.9,100.5,100.75,3", "high 100.9 is below max(open, close) 101"),
    ("1700000060000,101.0,102.0,100.8,100.75,3", "low 100.8 is above min(open, close) 100.75"),
    ("1700000060000,101.0,102.0,100.5,100.75,-3", "volume -3 must be >= 0"),
    ("1700000000000,101.0,102.0,100.5,100.75,3", "repeats the previous row's time"),
    ("1699999940000,101.0,102.0,100.5,100.75,3", "times must be strictly increasing"),
    ("yesterday,101.0,102.0,100.5,100.75,3", "time 'yesterday' is not epoch seconds or ms"),
    (",101.0,102.0,100.5,100.75,3", "time is missing"),
]


@pytest.mark.parametrize(("row", "rule"), BAD_ROWS, ids=[r for _, r in BAD_ROWS])
def test_a_bad_row_is_reported_with_its_line_and_rule(tmp_path, row, rule):
    text = HEADER + GOOD_ROWS[0] + "\n" + row + "\n" + GOOD_ROWS[2] + "\n"
    path = write(tmp_path, text)
    with pytest.raises(OhlcvFileError) as error:
        read_ohlcv_file(path)
    assert error.value.line == 3
    assert rule in str(error.value)
    assert str(path) in str(error.value) and "line 3:" in str(error.value)


def test_the_first_bad_line_is_reported_when_several_are_bad(tmp_path):
    rows = [GOOD_ROWS[0], GOOD_ROWS[1], "1700000120000,1,1,1,1,-1", "1700000180000,x,1,1,1,1"]
    with pytest.raises(OhlcvFileError) as error:
        read_ohlcv_file(write(tmp_path, HEADER + "\n".join(rows)))
    assert error.value.line == 4
    assert "volume" in error.value.rule


def test_bad_iso_time_is_reported(tmp_path):
    text = HEADER + "2023-11-14T22:13:20Z,1,1,1,1,1\n2023-13-45T00:00:00Z,1,1,1,1,1\n"
    with pytest.raises(OhlcvFileError, match=r"line 3: time '2023-13-45T00:00:00Z' is not an ISO"):
        read_ohlcv_file(write(tmp_path, text))


def test_a_missing_column_is_reported_on_the_header_line(tmp_path):
    with pytest.raises(OhlcvFileError, match=r"line 1: missing column 'volume'"):
        read_ohlcv_file(write(tmp_path, "time,open,high,low,close\n1,1,1,1,1\n"))


def test_a_row_with_too_many_fields_is_reported_with_its_line(tmp_path):
    text = HEADER + GOOD_ROWS[0] + "\n" + GOOD_ROWS[1] + ",7\n"
    with pytest.raises(OhlcvFileError) as error:
        read_ohlcv_file(write(tmp_path, text))
    assert error.value.line == 3


def test_a_bad_parquet_row_is_reported_by_row_number(tmp_path):
    frame = expected_frame().reset_index()
    frame.loc[1, "high"] = 50.0
    frame.to_parquet(tmp_path / "bad.parquet")
    with pytest.raises(OhlcvFileError, match=r"row 2: high 50 is below max"):
        read_ohlcv_file(tmp_path / "bad.parquet")


def test_nothing_is_returned_when_the_last_row_is_bad(tmp_path):
    rows = [*GOOD_ROWS, "1700000180000,99.25,99.5,99.0,99.3,-0.1"]
    result = None
    with pytest.raises(OhlcvFileError):
        result = read_ohlcv_file(write(tmp_path, HEADER + "\n".join(rows)))
    assert result is None


def test_empty_and_missing_files_are_refused(tmp_path):
    with pytest.raises(OhlcvFileError, match="no candles"):
        read_ohlcv_file(write(tmp_path, HEADER))
    with pytest.raises(OhlcvFileError, match="empty"):
        read_ohlcv_file(write(tmp_path, "", "empty.csv"))
    with pytest.raises(OhlcvFileError, match="not found"):
        read_ohlcv_file(tmp_path / "nope.csv")
