"""The pipeline layer (``tinyguard.pipeline``): the only code that knows every stage and their order.

It composes the layers below it (train builds data and teachers, export makes bundles, distill
makes students) into runs: ``guard-cli pipeline`` (data → [augment → curate] → teacher → export →
eval) and ``guard-cli adversarial`` (rounds that retrain teachers and students). Nothing below
imports it; its commands reach ``guard-cli`` through the ``tinyguard.commands`` entry point.
"""
