"""Self-identification responses as polars frames, both ways.

A ``SelfIdentification`` row holds one response: ``answers`` maps each question answered to
``{"raw": ..., "codes": [...], "declined": ...}``. The importer and the snapshot work on
one row per answer; these turn the JSON text of many responses into such rows and back,
column-wise, without a Python loop over the rows.
"""

from __future__ import annotations

import polars as pl

from ristra.people.models import Dimension

#: One answer as stored in ``SelfIdentification.answers``.
ANSWER = pl.Struct({"raw": pl.String, "codes": pl.List(pl.String), "declined": pl.Boolean})
#: A whole response: one field per question (null when not answered).
RESPONSE = pl.Struct(dict.fromkeys(Dimension.values, ANSWER))


def answer_rows(responses: pl.DataFrame, column: str = "answers") -> pl.DataFrame:
    """One row per answer: the responses' other columns, then ``dimension``, ``raw``,
    ``codes`` and ``declined``.

    ``column`` holds each response's answers as JSON text. Keys that are not a
    ``Dimension`` are ignored.
    """
    keep = [c for c in responses.columns if c != column]
    schema = {
        **{c: responses.schema[c] for c in keep},
        "dimension": pl.String,
        **ANSWER.to_schema(),
    }
    if not responses.height:
        return pl.DataFrame(schema=schema)
    return (
        responses.select(*keep, pl.col(column).str.json_decode(RESPONSE).struct.unnest())
        .unpivot(index=keep, variable_name="dimension", value_name="_answer")
        .filter(pl.col("_answer").is_not_null())
        .unnest("_answer")
        .with_columns(
            pl.col("raw").fill_null(""),
            pl.col("codes").fill_null([]),
            pl.col("declined").fill_null(False),
        )
        .select(pl.col(name).cast(dtype) for name, dtype in schema.items())
    )


def answers_json(answers: pl.DataFrame, by: list[str]) -> pl.DataFrame:
    """One row per response: the ``by`` columns and ``answers``, the JSON text of the
    answers (rows with ``dimension``, ``raw``, ``codes``, ``declined``) grouped by ``by``.

    The text reads back (``json.loads``) as the dictionary Django's JSONField would
    store; each response keeps the first answer per question.
    """
    member = pl.concat_str(
        [
            pl.lit('"'),
            pl.col("dimension"),  # Dimension values: plain lowercase ASCII, no escaping
            pl.lit('":'),
            pl.struct(
                pl.col("raw").fill_null(""),
                pl.col("codes").fill_null([]),
                pl.col("declined").fill_null(False),
            ).struct.json_encode(),
        ]
    )
    return (
        answers.unique([*by, "dimension"], keep="first", maintain_order=True)
        .select(*by, member.alias("_member"))
        .group_by(by, maintain_order=True)
        .agg(pl.col("_member").str.join(",").alias("answers"))
        .with_columns(pl.concat_str([pl.lit("{"), pl.col("answers"), pl.lit("}")]).alias("answers"))
    )
