"""A vendor's CSV export read row by row into calls, bad rows reported by number and field."""

from __future__ import annotations

import io
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from server.cad.csv_import import CsvHeaderError, read_csv, read_csv_path, read_csv_stream
from server.cad.mapping import CsvMapping
from server.cad.records import CadCall, RowError

SAMPLES = Path(__file__).parent / "samples"
DEFAULT_HEADER = ("incident_number,call_type,priority,received_at,address,lat,lon,narrative,weapon,"
                  "violence,reason_1,reason_2,reason_3,danger_to_self,danger_to_others")


def _calls(results: list[CadCall | RowError]) -> list[CadCall]:
    assert all(isinstance(result, CadCall) for result in results), results
    return [result for result in results if isinstance(result, CadCall)]


def _errors(results: list[CadCall | RowError]) -> list[tuple[int, str | None]]:
    return [(result.row, result.field) for result in results if isinstance(result, RowError)]


def _default_csv(*rows: str, header: str = DEFAULT_HEADER) -> list[str]:
    return io.StringIO("\n".join([header, *rows]) + "\n", newline="").readlines()


def test_a_vendor_export_with_bom_and_crlf_reads_every_call(vendor_mapping: CsvMapping) -> None:
    raw = (SAMPLES / "sample_vendor.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    assert b"\r\n" in raw

    calls = _calls(list(read_csv_path(SAMPLES / "sample_vendor.csv", vendor_mapping)))

    assert [call.incident_number for call in calls] == ["24-000101", "24-000102", "24-000103"]
    first = calls[0]
    assert first.call_type == "WELF"
    assert first.priority == 3
    assert first.address == "100 MAIN ST"
    assert (first.lat, first.lon) == (41.8781, -87.6298)
    assert first.narrative == "Caller worried about neighbor"


def test_a_single_digit_month_and_hour_read_in_the_layouts_time_zone(vendor_mapping: CsvMapping) -> None:
    call = _calls(list(read_csv_path(SAMPLES / "sample_vendor.csv", vendor_mapping)))[0]

    # 3/7/2026 9:05 in Chicago (CST, UTC-6)
    assert call.received_at == datetime(2026, 3, 7, 15, 5, tzinfo=UTC)
    assert call.received_at.tzinfo is UTC


def test_a_database_timestamp_with_fractions_reads_with_the_second_format(
        vendor_mapping: CsvMapping) -> None:
    call = _calls(list(read_csv_path(SAMPLES / "sample_vendor.csv", vendor_mapping)))[1]

    assert call.received_at == datetime(2026, 3, 7, 20, 5, 9, 250_000, tzinfo=UTC)


def test_a_time_on_new_years_eve_moves_to_the_next_day_in_utc(vendor_mapping: CsvMapping) -> None:
    call = _calls(list(read_csv_path(SAMPLES / "sample_vendor.csv", vendor_mapping)))[2]

    assert call.received_at == datetime(2026, 1, 1, 5, 59, tzinfo=UTC)


def test_a_time_after_the_spring_change_reads_in_daylight_time(default_mapping: CsvMapping) -> None:
    row = "26-1,WELF,2,3/8/2026 9:05,,,,,N,N,,,,,"  # New York is on EDT (UTC-4) from 8 March

    call = _calls(list(read_csv(_default_csv(row), default_mapping)))[0]

    assert call.received_at == datetime(2026, 3, 8, 13, 5, tzinfo=UTC)


def test_a_time_with_its_own_offset_ignores_the_layouts_zone(default_mapping: CsvMapping) -> None:
    row = "26-1,WELF,2,2026-03-07T09:05:00+02:00,,,,,N,N,,,,,"

    call = _calls(list(read_csv(_default_csv(row), default_mapping)))[0]

    assert call.received_at == datetime(2026, 3, 7, 7, 5, tzinfo=UTC)


def test_null_markers_read_as_missing_values(vendor_mapping: CsvMapping) -> None:
    call = _calls(list(read_csv_path(SAMPLES / "sample_vendor.csv", vendor_mapping)))[2]

    assert call.priority is None
    assert call.address == ""  # N/A
    assert (call.lat, call.lon) == (None, None)
    assert call.narrative == ""  # NULL
    assert (call.weapon, call.violence) == (False, False)
    assert call.reasons == []
    assert call.extra == {}


def test_null_markers_are_matched_without_regard_to_case(default_mapping: CsvMapping) -> None:
    row = "26-1,WELF,null,3/7/2026 9:05,n/a,,,Null,N,N,,,,,"

    call = _calls(list(read_csv(_default_csv(row), default_mapping)))[0]

    assert (call.priority, call.address, call.narrative) == (None, "", "")


def test_several_reason_columns_give_the_reasons_present_in_order(vendor_mapping: CsvMapping) -> None:
    first, second, _ = _calls(list(read_csv_path(SAMPLES / "sample_vendor.csv", vendor_mapping)))

    assert first.reasons == ["Welfare check", "Mental health"]
    assert second.reasons == ["Suicidal"]


def test_flags_read_the_layouts_yes_and_no_values_in_any_case(vendor_mapping: CsvMapping) -> None:
    _, second, _ = _calls(list(read_csv_path(SAMPLES / "sample_vendor.csv", vendor_mapping)))

    assert second.weapon is True  # "Y"
    assert second.violence is False  # "n"


def test_caller_answers_keep_the_answers_given(vendor_mapping: CsvMapping) -> None:
    first, second, _ = _calls(list(read_csv_path(SAMPLES / "sample_vendor.csv", vendor_mapping)))

    assert first.caller_answers == {"danger_to_self": "Y", "danger_to_others": "N"}
    assert second.caller_answers == {"danger_to_self": "Y", "substance_use": "Y"}  # UNK is missing


def test_columns_the_layout_does_not_name_are_kept_in_extra(vendor_mapping: CsvMapping) -> None:
    first, second, _ = _calls(list(read_csv_path(SAMPLES / "sample_vendor.csv", vendor_mapping)))

    assert first.extra == {"Beat": "B12"}
    assert second.extra == {"Beat": "B7", "Disposition": "GOA"}


def test_a_repeated_unnamed_column_is_kept_under_a_numbered_name(default_mapping: CsvMapping) -> None:
    lines = _default_csv("26-1,WELF,2,3/7/2026 9:05,,,,,N,N,,,,,,x,y",
                         header=DEFAULT_HEADER + ",Note,Note")

    call = _calls(list(read_csv(lines, default_mapping)))[0]

    assert call.extra == {"Note": "x", "Note#2": "y"}


def test_a_quoted_line_break_stays_inside_the_narrative(vendor_mapping: CsvMapping) -> None:
    second = _calls(list(read_csv_path(SAMPLES / "sample_vendor.csv", vendor_mapping)))[1]

    assert second.narrative == 'Line one\nline two, "quoted"'


def test_broken_rows_are_reported_by_row_and_field_and_the_rest_read(vendor_mapping: CsvMapping) -> None:
    results = list(read_csv_path(SAMPLES / "broken_rows.csv", vendor_mapping))

    assert [r.incident_number for r in results if isinstance(r, CadCall)] == ["24-000201", "24-000207"]
    assert _errors(results) == [
        (3, "received_at"),  # "March 7th"
        (4, "incident_number"),  # NULL
        (5, "lat"),  # 4190000
        (6, "lat"), (6, "priority"), (6, "weapon"),  # "abc", "two", "maybe": each bad field named
        (7, None),  # a cut-off row
    ]


def test_a_row_error_says_what_was_wrong_and_in_which_column(vendor_mapping: CsvMapping) -> None:
    errors = [r for r in read_csv_path(SAMPLES / "broken_rows.csv", vendor_mapping)
              if isinstance(r, RowError)]

    assert "'March 7th' matches none of the date formats" in errors[0].message
    assert "column 'Call Received'" in errors[0].message
    assert "column 'Incident No'" in errors[1].message
    assert "4 values where the header has 19 columns" in errors[-1].message


def test_a_latitude_without_a_longitude_is_an_error(default_mapping: CsvMapping) -> None:
    results = list(read_csv(_default_csv("26-1,WELF,2,3/7/2026 9:05,,41.9,,,N,N,,,,,"), default_mapping))

    assert _errors(results) == [(2, "lon")]


@pytest.mark.parametrize("value", ["nan", "inf", "-181", "1e400"])
def test_a_longitude_that_is_not_on_earth_is_an_error(default_mapping: CsvMapping, value: str) -> None:
    results = list(read_csv(_default_csv(f"26-1,WELF,2,3/7/2026 9:05,,41.9,{value},,N,N,,,,,"),
                            default_mapping))

    assert _errors(results) == [(2, "lon")]


def test_a_missing_call_type_and_time_are_both_reported(default_mapping: CsvMapping) -> None:
    results = list(read_csv(_default_csv("26-1,,2,NULL,,,,,N,N,,,,,"), default_mapping))

    assert _errors(results) == [(2, "call_type"), (2, "received_at")]


def test_a_nul_character_in_a_value_is_an_error_on_its_row(default_mapping: CsvMapping) -> None:
    results = list(read_csv(_default_csv("26-1,WELF,2,3/7/2026 9:05,,,,bad\x00text,N,N,,,,,",
                                         "26-2,WELF,2,3/7/2026 9:06,,,,fine,N,N,,,,,"), default_mapping))

    assert _errors(results) == [(2, "narrative")]
    assert [r.incident_number for r in results if isinstance(r, CadCall)] == ["26-2"]


def test_blank_lines_are_skipped_but_still_count_as_rows(default_mapping: CsvMapping) -> None:
    lines = _default_csv("26-1,WELF,2,3/7/2026 9:05,,,,,N,N,,,,,", "",
                         "26-3,WELF,2,bad,,,,,N,N,,,,,")

    assert _errors(list(read_csv(lines, default_mapping))) == [(4, "received_at")]


def test_a_header_missing_mapped_columns_raises_one_error_naming_them(vendor_mapping: CsvMapping) -> None:
    lines = ["Incident No,Pri,Call Received,Location\r\n", "1,2,3/7/2026 9:05,x\r\n"]

    with pytest.raises(CsvHeaderError) as raised:
        next(read_csv(lines, vendor_mapping))

    message = str(raised.value)
    assert "'Nature Code'" in message
    assert "'Weapons Involved'" in message
    assert "'Complaint 1'" in message
    assert "call_type" in message
    assert "weapon" in message
    assert "reasons" in message
    assert "'Incident No'" in message.split("its columns are")[1]


def test_a_mapped_column_given_twice_is_refused_at_the_header(default_mapping: CsvMapping) -> None:
    with pytest.raises(CsvHeaderError, match="'priority' more than once"):
        next(read_csv(_default_csv(header=DEFAULT_HEADER + ",priority"), default_mapping))


def test_an_empty_file_is_refused(default_mapping: CsvMapping) -> None:
    with pytest.raises(CsvHeaderError, match="empty"):
        next(read_csv([], default_mapping))


def test_an_upload_is_read_in_the_layouts_encoding_and_left_open(vendor_mapping: CsvMapping) -> None:
    stream = io.BytesIO((SAMPLES / "sample_vendor.csv").read_bytes())

    calls = _calls(list(read_csv_stream(stream, vendor_mapping)))

    assert len(calls) == 3
    assert not stream.closed


def test_bytes_not_in_the_layouts_encoding_end_the_read_with_an_error(
        default_mapping: CsvMapping) -> None:
    # Past the text layer's first read (8 KB), so the header and the first calls decode.
    good = "".join(_default_csv(*["26-1,WELF,2,3/7/2026 9:05,,,,,N,N,,,,,"] * 500)).encode()
    stream = io.BytesIO(good + b"26-2,WELF,2,3/7/2026 9:06,,,,caf\xe9,N,N,,,,,\n")

    results = list(read_csv_stream(stream, default_mapping))

    *calls, last = results
    assert calls
    assert all(isinstance(call, CadCall) for call in calls)
    assert isinstance(last, RowError)
    assert "not utf-8-sig text from here on" in last.message


def test_a_value_past_the_csv_field_limit_is_an_error_and_the_next_row_reads(
        default_mapping: CsvMapping) -> None:
    huge = "x" * 200_000  # past the csv module's 131,072-character field limit
    lines = _default_csv(f'26-1,WELF,2,3/7/2026 9:05,,,,"{huge}",N,N,,,,,',
                         "26-2,WELF,2,3/7/2026 9:06,,,,fine,N,N,,,,,")

    results = list(read_csv(lines, default_mapping))

    assert _errors(results) == [(2, None)]
    assert [r.incident_number for r in results if isinstance(r, CadCall)] == ["26-2"]


def test_a_byte_order_mark_left_on_the_first_column_name_is_dropped(default_mapping: CsvMapping) -> None:
    lines = _default_csv("26-1,WELF,2,3/7/2026 9:05,,,,,N,N,,,,,", header="\ufeff" + DEFAULT_HEADER)

    assert _calls(list(read_csv(lines, default_mapping)))[0].incident_number == "26-1"


def test_a_layout_may_read_semicolon_separated_exports(default_mapping: CsvMapping) -> None:
    semicolons = replace(default_mapping, delimiter=";")
    lines = _default_csv("26-1;WELF;2;3/7/2026 9:05;1 A ST, Apt 2;;;;N;N;;;;;",
                         header=DEFAULT_HEADER.replace(",", ";"))

    assert _calls(list(read_csv(lines, semicolons)))[0].address == "1 A ST, Apt 2"
