"""A learner's own CSV: good tables in every accepted form, and each way a file can be wrong."""

from __future__ import annotations

import numpy as np
import pytest

from engine.userdata import MAX_CLASSES, DataError, display_scale, parse


def test_beans_with_a_header() -> None:
    table = parse("x,y\n1,2\n3,4.5\n", "beans")
    np.testing.assert_array_equal(table.x, [[1.0], [3.0]])
    np.testing.assert_array_equal(table.y, [2.0, 4.5])


@pytest.mark.parametrize(
    "text",
    [
        "1,2\n3,4\n",  # no header
        "x\ty\n1\t2\n3\t4\n",  # pasted from a spreadsheet
        "x;y\n1;2\n3;4\n",  # a semicolon CSV
        "\n1, 2 \r\n\n3 ,4\n\n",  # blank lines, spaces, CRLF
        '"x","y"\n"1","2"\n3,4\n',  # quoted
        "x;y\n1,0;2,0\n3;4\n",  # decimal commas
        "1\t2,0\n3\t4\n",  # decimal commas pasted from a spreadsheet
        "x,y,note\n1,2,a\n3,4,b\n",  # a column past those is ignored
    ],
)
def test_beans_in_every_accepted_form(text: str) -> None:
    table = parse(text, "beans")
    np.testing.assert_array_equal(table.x[:, 0], [1.0, 3.0])
    np.testing.assert_array_equal(table.y, [2.0, 4.0])


def test_circles_labels_may_be_words_or_integers() -> None:
    words = parse("x1,x2,label\n0,0,red\n1,1,blue\n2,2,red\n", "circles")
    assert words.classes == ("blue", "red")
    np.testing.assert_array_equal(words.y, [1, 0, 1])
    numbers = parse("0,0,10\n1,1,2\n2,2,10\n", "circles")
    assert numbers.classes == ("2", "10")  # numerically, not as text
    np.testing.assert_array_equal(numbers.y, [1, 0, 1])
    assert numbers.x.shape == (3, 2)


@pytest.mark.parametrize(
    ("text", "kind", "code", "line"),
    [
        ("", "beans", "too_few_rows", None),
        ("x,y\n1,2\n", "beans", "too_few_rows", None),
        ("x,y\n1,2\n3\n", "beans", "missing_columns", 3),
        ("x,y\n1,2\n3,abc\n", "beans", "not_a_number", 3),
        ("1,2\nabc,4\n", "beans", "not_a_number", 2),
        ("abc,1\n1,2\n", "beans", "not_a_number", 1),  # data, not a header: reported
        ("x,y\n1,2\nnan,4\n", "beans", "not_finite", 3),
        ("x,y\n1,2\n3,inf\n", "beans", "not_finite", 3),
        ("x1,x2,label\n0,0,a\n1,1\n", "circles", "missing_columns", 3),
        ("x1,x2,label\n0,0,a\n1,1,\n", "circles", "missing_label", 3),
        ("x1,x2,label\n0,0,a\n1,1,a\n", "circles", "one_class", None),
        ('x,y\n1,"2\n', "beans", "bad_csv", 2),
        ("x,y\n1,2\n\ud800,3\n", "beans", "not_a_number", 3),  # a lone surrogate
    ],
)
def test_each_kind_of_bad_file_is_named_with_its_line(text, kind, code, line) -> None:
    with pytest.raises(DataError) as caught:
        parse(text, kind)
    assert (caught.value.code, caught.value.line) == (code, line)


def test_limits_on_rows_bytes_and_classes() -> None:
    rows = "".join(f"{i},{i}\n" for i in range(11))
    with pytest.raises(DataError) as caught:
        parse(rows, "beans", max_rows=10)
    assert (caught.value.code, caught.value.line) == ("too_many_rows", 11)
    with pytest.raises(DataError) as caught:
        parse(rows, "beans", max_bytes=20)
    assert caught.value.code == "too_large"
    labels = "".join(f"{i},{i},c{i}\n" for i in range(MAX_CLASSES + 1))
    with pytest.raises(DataError) as caught:
        parse(labels, "circles")
    assert caught.value.code == "too_many_classes"
    assert caught.value.values == {"found": MAX_CLASSES + 1, "max": MAX_CLASSES}


def test_display_scale_fits_the_plane_without_distortion() -> None:
    x = np.array([[100.0, 10.0], [300.0, 20.0], [200.0, 15.0]])
    scaled, factor, centre = display_scale(x)
    assert np.abs(scaled).max() == pytest.approx(0.9 * 6.0)
    np.testing.assert_allclose(scaled, (x - centre) * factor)
    np.testing.assert_allclose(centre, [200.0, 15.0])


def test_reading_stops_one_row_past_the_limit() -> None:
    """A file of far too many rows is refused as soon as it is too long: a broken row
    after that (an unclosed quote) is never read, so it is not what the error names."""
    rows = "x,y\n" + "".join(f"{i},{i}\n" for i in range(12)) + '1,"2\n' + "3,4\n" * 50
    with pytest.raises(DataError) as caught:
        parse(rows, "beans", max_rows=10)
    assert (caught.value.code, caught.value.line) == ("too_many_rows", 12)
    assert len(parse(rows.split('1,"2')[0], "beans", max_rows=12).y) == 12  # header dropped
