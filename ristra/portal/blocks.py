"""Body blocks editors compose pages from. Images require alt text or a 'decorative' tick."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from wagtail import blocks
from wagtail.images.blocks import ImageBlock

RICH_TEXT_FEATURES = ["h2", "h3", "bold", "italic", "ol", "ul", "link", "document-link"]


class QuoteBlock(blocks.StructBlock):
    quote = blocks.TextBlock(label=_("Quote"))
    attribution = blocks.CharBlock(label=_("Attribution"), required=False)

    class Meta:
        icon = "openquote"
        template = "portal/blocks/quote.html"


class CalloutBlock(blocks.StructBlock):
    heading = blocks.CharBlock(label=_("Heading"))
    text = blocks.RichTextBlock(label=_("Text"), features=RICH_TEXT_FEATURES)
    link_text = blocks.CharBlock(label=_("Link text"), required=False)
    link_url = blocks.URLBlock(label=_("Link address"), required=False)

    class Meta:
        icon = "pick"
        template = "portal/blocks/callout.html"


class BodyBlock(blocks.StreamBlock):
    heading = blocks.CharBlock(
        label=_("Section heading"), template="portal/blocks/heading.html", icon="title"
    )
    paragraph = blocks.RichTextBlock(label=_("Paragraph"), features=RICH_TEXT_FEATURES)
    image = ImageBlock(label=_("Image"), template="portal/blocks/image.html")
    quote = QuoteBlock(label=_("Quote"))
    callout = CalloutBlock(label=_("Call to action"))
