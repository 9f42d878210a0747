"""Self-identification: one row per response instead of one row per answer.

A response is every answer a person gave one source on one day. The per-answer rows of
each (person, source, reported_on) become one response, whose id is the smallest id of
those rows and whose batch is that row's batch. Import ledgers that recorded replaced
answers (``before["self_ids"]``) are rewritten to name the response and question
(``before["responses"]``), so rolling back an older batch still restores them. Reversible:
going back splits every response into one row per answer again.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import django.db.models.deletion
from django.core.management.color import no_style
from django.db import migrations, models

CHUNK = 5000


def _reset_sequence(schema_editor: Any, model: Any) -> None:
    connection = schema_editor.connection
    statements = connection.ops.sequence_reset_sql(no_style(), [model])
    with connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql)


def _groups(old: Any) -> Iterator[list[tuple[Any, ...]]]:
    """The per-answer rows, grouped by person, source and date (each group by id)."""
    rows = old.objects.order_by("person_id", "source", "reported_on", "id").values_list(
        "id",
        "person_id",
        "source",
        "reported_on",
        "batch_id",
        "dimension",
        "raw_value",
        "codes",
        "declined",
    )
    group: list[tuple[Any, ...]] = []
    for row in rows.iterator(chunk_size=CHUNK):
        if group and group[0][1:4] != row[1:4]:
            yield group
            group = []
        group.append(row)
    if group:
        yield group


def _answer(raw_value: str, codes: Any, declined: bool) -> dict[str, Any]:
    return {"raw": raw_value or "", "codes": list(codes or []), "declined": bool(declined)}


def to_responses(apps: Any, schema_editor: Any) -> None:
    old = apps.get_model("people", "SelfIdentification")
    new = apps.get_model("people", "SelfIdentificationResponse")
    import_row = apps.get_model("people", "ImportRow")
    ledgers = list(
        import_row.objects.filter(before__has_key="self_ids").values_list("id", "before")
    )
    wanted = {int(k) for _pk, before in ledgers for k in before["self_ids"]}
    where: dict[int, tuple[int, str]] = {}
    buffer: list[Any] = []
    for group in _groups(old):
        first = group[0]
        answers = {r[5]: _answer(r[6], r[7], r[8]) for r in group}
        buffer.append(
            new(
                id=first[0],
                person_id=first[1],
                source=first[2],
                reported_on=first[3],
                batch_id=first[4],
                answers=answers,
            )
        )
        where.update((r[0], (first[0], r[5])) for r in group if r[0] in wanted)
        if len(buffer) >= CHUNK:
            new.objects.bulk_create(buffer)
            buffer = []
    if buffer:
        new.objects.bulk_create(buffer)
    _reset_sequence(schema_editor, new)
    for pk, before in ledgers:
        responses: dict[str, dict[str, Any]] = before.get("responses") or {}
        for answer_id, values in before.pop("self_ids").items():
            if int(answer_id) not in where:
                continue  # the answer was deleted since: nothing to restore
            response_id, dimension = where[int(answer_id)]
            responses.setdefault(str(response_id), {})[dimension] = _answer(
                values.get("raw_value", ""), values.get("codes"), values.get("declined", False)
            )
        if responses:
            before["responses"] = responses
        import_row.objects.filter(pk=pk).update(before=before or None)


def to_answers(apps: Any, schema_editor: Any) -> None:
    old = apps.get_model("people", "SelfIdentification")
    new = apps.get_model("people", "SelfIdentificationResponse")
    import_row = apps.get_model("people", "ImportRow")
    ledgers = list(
        import_row.objects.filter(before__has_key="responses").values_list("id", "before")
    )
    # Each response's first answer keeps the response's id; the others get new ids.
    next_id = (new.objects.aggregate(top=models.Max("id"))["top"] or 0) + 1
    where: dict[tuple[int, str], int] = {}
    buffer: list[Any] = []
    rows = new.objects.order_by("id").values_list(
        "id", "person_id", "source", "reported_on", "batch_id", "answers"
    )
    for pk, person_id, source, reported_on, batch_id, answers in rows.iterator(
        chunk_size=CHUNK
    ):
        for i, (dimension, value) in enumerate(sorted((answers or {}).items())):
            answer_id = pk if i == 0 else next_id
            next_id += i > 0
            where[(pk, dimension)] = answer_id
            buffer.append(
                old(
                    id=answer_id,
                    person_id=person_id,
                    dimension=dimension,
                    raw_value=value.get("raw") or "",
                    codes=list(value.get("codes") or []),
                    declined=bool(value.get("declined")),
                    source=source,
                    reported_on=reported_on,
                    batch_id=batch_id,
                )
            )
        if len(buffer) >= CHUNK:
            old.objects.bulk_create(buffer)
            buffer = []
    if buffer:
        old.objects.bulk_create(buffer)
    _reset_sequence(schema_editor, old)
    for pk, before in ledgers:
        self_ids: dict[str, dict[str, Any]] = {}
        for response_id, values in before.pop("responses").items():
            for dimension, value in values.items():
                answer_id = where.get((int(response_id), dimension))
                if answer_id is None or value is None:
                    continue  # an answer the batch added to a response: rows are deleted
                self_ids[str(answer_id)] = {
                    "codes": list(value.get("codes") or []),
                    "raw_value": value.get("raw") or "",
                    "declined": bool(value.get("declined")),
                }
        if self_ids:
            before["self_ids"] = self_ids
        import_row.objects.filter(pk=pk).update(before=before or None)


class Migration(migrations.Migration):
    dependencies = [
        ("people", "0002_ledger_values"),
    ]

    operations = [
        migrations.CreateModel(
            name="SelfIdentificationResponse",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("source", models.CharField(max_length=120, verbose_name="source")),
                ("reported_on", models.DateField(verbose_name="answered on")),
                (
                    "answers",
                    models.JSONField(blank=True, default=dict, verbose_name="answers"),
                ),
                (
                    "batch",
                    models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to="people.importbatch",
                    ),
                ),
                (
                    "person",
                    models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="people.person",
                    ),
                ),
            ],
            options={
                "verbose_name": "self-identification response",
                "ordering": ["-reported_on", "-id"],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("person", "source", "reported_on"),
                        name="selfid_one_response_per_source_and_date",
                    )
                ],
            },
        ),
        migrations.RunPython(to_responses, to_answers),
        migrations.DeleteModel(name="SelfIdentification"),
        migrations.RenameModel(old_name="SelfIdentificationResponse", new_name="SelfIdentification"),
        migrations.AlterField(
            model_name="selfidentification",
            name="person",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="self_ids",
                to="people.person",
            ),
        ),
    ]
