"""BANKING77 (PolyAI task-specific-datasets): online-banking customer queries, 77 intents.

Every query is a benign customer-service request, so each is a safe prompt. Intents
such as ``compromised_card`` or ``lost_or_stolen_card`` are victims asking for help,
not attacks. The table lists all 77 intents (spelled as in the files, including
``Refund_not_showing_up`` and ``reverted_card_payment?``); any other value raises.
"""
from __future__ import annotations

import csv
from pathlib import Path
from typing import Iterator

from tinyguard.records import Record

NAME = "banking77"
LICENCE = "CC-BY-4.0"
LICENCE_CLASS = "permissive"

INTENTS: tuple[str, ...] = (
    'Refund_not_showing_up', 'activate_my_card', 'age_limit', 'apple_pay_or_google_pay',
    'atm_support', 'automatic_top_up', 'balance_not_updated_after_bank_transfer',
    'balance_not_updated_after_cheque_or_cash_deposit', 'beneficiary_not_allowed',
    'cancel_transfer', 'card_about_to_expire', 'card_acceptance', 'card_arrival',
    'card_delivery_estimate', 'card_linking', 'card_not_working', 'card_payment_fee_charged',
    'card_payment_not_recognised', 'card_payment_wrong_exchange_rate', 'card_swallowed',
    'cash_withdrawal_charge', 'cash_withdrawal_not_recognised', 'change_pin',
    'compromised_card', 'contactless_not_working', 'country_support', 'declined_card_payment',
    'declined_cash_withdrawal', 'declined_transfer', 'direct_debit_payment_not_recognised',
    'disposable_card_limits', 'edit_personal_details', 'exchange_charge', 'exchange_rate',
    'exchange_via_app', 'extra_charge_on_statement', 'failed_transfer', 'fiat_currency_support',
    'get_disposable_virtual_card', 'get_physical_card', 'getting_spare_card',
    'getting_virtual_card', 'lost_or_stolen_card', 'lost_or_stolen_phone',
    'order_physical_card', 'passcode_forgotten', 'pending_card_payment',
    'pending_cash_withdrawal', 'pending_top_up', 'pending_transfer', 'pin_blocked',
    'receiving_money', 'request_refund', 'reverted_card_payment?',
    'supported_cards_and_currencies', 'terminate_account', 'top_up_by_bank_transfer_charge',
    'top_up_by_card_charge', 'top_up_by_cash_or_cheque', 'top_up_failed', 'top_up_limits',
    'top_up_reverted', 'topping_up_by_card', 'transaction_charged_twice',
    'transfer_fee_charged', 'transfer_into_account', 'transfer_not_received_by_recipient',
    'transfer_timing', 'unable_to_verify_identity', 'verify_my_identity',
    'verify_source_of_funds', 'verify_top_up', 'virtual_card_not_working', 'visa_or_mastercard',
    'why_verify_identity', 'wrong_amount_of_cash_received',
    'wrong_exchange_rate_for_cash_withdrawal',
)

#: ``category`` -> (label, categories): every banking intent is a benign customer query.
LABEL_MAP: dict[str, tuple[str, list[str]]] = {intent: ("safe", []) for intent in INTENTS}

FILES: tuple[str, ...] = ("banking_data_train.csv", "banking_data_test.csv")


def load(data_dir: Path) -> Iterator[Record]:
    seen: set[str] = set()
    for fname in FILES:
        with open(Path(data_dir) / NAME / fname, encoding="utf-8", newline="") as f:
            reader = csv.DictReader(f)
            if reader.fieldnames != ["text", "category"]:
                raise ValueError(f"{NAME}: unexpected columns {reader.fieldnames} in {fname}")
            for row in reader:
                if row["category"] not in LABEL_MAP:
                    raise ValueError(f"{NAME}: unmapped category {row['category']!r} in {fname}")
                label, cats = LABEL_MAP[row["category"]]
                text = row["text"].strip()
                if text in seen:
                    continue
                seen.add(text)
                yield Record(text=text, role="prompt", label=label, source=NAME,
                             licence_class=LICENCE_CLASS, categories=list(cats), lang="en")
