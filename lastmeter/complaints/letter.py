"""The reply letter: rendered in Chinese from a template, written as a DOCX file, and kept.

The text comes from ``templates/complaints/letter.txt`` (a Django template, always rendered in
Chinese: the letter is an official document of a Chinese police station, whatever language the
reviewer's screen speaks). python-docx turns it into a Word document.

Why DOCX through python-docx rather than PDF: a legal office signs and seals its letters and often
edits the wording before printing, which a Word file allows and a PDF does not; python-docx is a
well-kept pure-Python library (lxml underneath) with no system dependencies, whereas a PDF with
Chinese text needs CJK fonts installed on the server (WeasyPrint) or embedded by hand
(ReportLab). The document names a Chinese font (仿宋/宋体) for East Asian text, which the
reader's word processor supplies.
"""

from __future__ import annotations

import hashlib
import io

from django.conf import settings
from django.core.files.base import ContentFile
from django.template.loader import render_to_string
from django.utils import timezone, translation
from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Pt

from lastmeter.complaints.models import Complaint, Decision

BODY_FONT = "仿宋"
TITLE_FONT = "宋体"


def letter_text(complaint: Complaint, decision: Decision) -> str:
    """The letter's text (plain, paragraphs separated by blank lines), in Chinese."""
    with translation.override("zh-hans"):
        number = complaint.decision_number or complaint.ticket_number
        return render_to_string(
            "complaints/letter.txt",
            {
                "reference": complaint.reference,
                "round": decision.round,
                "complainant": complaint.complainant_name,
                "filed_on": timezone.localtime(complaint.created_at).strftime("%Y年%m月%d日"),
                "channel": complaint.get_channel_display(),
                "subject": complaint.get_subject_kind_display(),
                "number": number,
                "evidence_count": complaint.evidence.count(),
                "decision": decision.get_kind_display(),
                "reasons": decision.reasons.strip(),
                "can_appeal": decision.round == 1,
                "appeal_days": settings.LASTMETER_COMPLAINT_APPEAL_DAYS,
                "office": settings.LASTMETER_COMPLAINT_OFFICE,
                "reviewer": decision.reviewer.name,
                "decided_on": timezone.localtime(decision.decided_at).strftime("%Y年%m月%d日"),
            },
        )


def _font(run, name: str, size: int, bold: bool = False) -> None:
    run.font.size = Pt(size)
    run.font.bold = bold
    run.font.name = name
    # Word picks the East Asian font from w:eastAsia, not from the run's plain font name.
    run._element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), name)


def letter_docx(text: str) -> bytes:
    """The letter as a DOCX file: the first line as the centred title, the rest as paragraphs."""
    document = Document()
    lines = text.strip().splitlines()
    title = document.add_paragraph()
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _font(title.add_run(lines[0].strip()), TITLE_FONT, 18, bold=True)
    for line in lines[1:]:
        if not line.strip():
            continue
        paragraph = document.add_paragraph()
        _font(paragraph.add_run(line.strip()), BODY_FONT, 14)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def write_letter(complaint: Complaint, decision: Decision) -> None:
    """Generate the decision's letter and keep it with its SHA-256. Caller holds the complaint's
    row lock inside the transaction that records the decision."""
    data = letter_docx(letter_text(complaint, decision))
    decision.letter.save(f"{complaint.reference}-{decision.round}.docx", ContentFile(data), save=False)
    decision.letter_sha256 = hashlib.sha256(data).hexdigest()
    decision.save(update_fields=["letter", "letter_sha256"])


__all__ = ["letter_docx", "letter_text", "write_letter"]
