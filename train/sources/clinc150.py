"""CLINC150 (clinc/oos-eval, data_full.json): short task-assistant queries, 150 intents + "oos".

Every query is a benign request to a task assistant, safe prompt. "oos" (out of scope)
queries are outside the 150 intents, not outside safety: a read of them found only
ordinary questions ("how long would it take you to die of thirst in the sahara"), so
they are safe too. The table lists every intent explicitly; an intent that is not in it
raises. All six splits (train/val/test and their oos_ twins) are emitted; five texts
occur twice (under different intents) and are emitted once.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Iterator

from tinyguard.records import Record

NAME = "clinc150"
LICENCE = "CC-BY-3.0"
LICENCE_CLASS = "permissive"

INTENTS: tuple[str, ...] = (
    'accept_reservations', 'account_blocked', 'alarm', 'application_status', 'apr',
    'are_you_a_bot', 'balance', 'bill_balance', 'bill_due', 'book_flight', 'book_hotel',
    'calculator', 'calendar', 'calendar_update', 'calories', 'cancel', 'cancel_reservation',
    'car_rental', 'card_declined', 'carry_on', 'change_accent', 'change_ai_name',
    'change_language', 'change_speed', 'change_user_name', 'change_volume',
    'confirm_reservation', 'cook_time', 'credit_limit', 'credit_limit_change', 'credit_score',
    'current_location', 'damaged_card', 'date', 'definition', 'direct_deposit', 'directions',
    'distance', 'do_you_have_pets', 'exchange_rate', 'expiration_date', 'find_phone',
    'flight_status', 'flip_coin', 'food_last', 'freeze_account', 'fun_fact', 'gas', 'gas_type',
    'goodbye', 'greeting', 'how_busy', 'how_old_are_you', 'improve_credit_score', 'income',
    'ingredient_substitution', 'ingredients_list', 'insurance', 'insurance_change',
    'interest_rate', 'international_fees', 'international_visa', 'jump_start',
    'last_maintenance', 'lost_luggage', 'make_call', 'maybe', 'meal_suggestion',
    'meaning_of_life', 'measurement_conversion', 'meeting_schedule', 'min_payment', 'mpg',
    'new_card', 'next_holiday', 'next_song', 'no', 'nutrition_info', 'oil_change_how',
    'oil_change_when', 'oos', 'order', 'order_checks', 'order_status', 'pay_bill', 'payday',
    'pin_change', 'play_music', 'plug_type', 'pto_balance', 'pto_request', 'pto_request_status',
    'pto_used', 'recipe', 'redeem_rewards', 'reminder', 'reminder_update', 'repeat',
    'replacement_card_duration', 'report_fraud', 'report_lost_card', 'reset_settings',
    'restaurant_reservation', 'restaurant_reviews', 'restaurant_suggestion', 'rewards_balance',
    'roll_dice', 'rollover_401k', 'routing', 'schedule_maintenance', 'schedule_meeting',
    'share_location', 'shopping_list', 'shopping_list_update', 'smart_home', 'spelling',
    'spending_history', 'sync_device', 'taxes', 'tell_joke', 'text', 'thank_you', 'time',
    'timer', 'timezone', 'tire_change', 'tire_pressure', 'todo_list', 'todo_list_update',
    'traffic', 'transactions', 'transfer', 'translate', 'travel_alert', 'travel_notification',
    'travel_suggestion', 'uber', 'update_playlist', 'user_name', 'vaccines', 'w2', 'weather',
    'what_are_your_hobbies', 'what_can_i_ask_you', 'what_is_your_name', 'what_song',
    'where_are_you_from', 'whisper_mode', 'who_do_you_work_for', 'who_made_you', 'yes',
)

#: intent -> (label, categories): all 150 intents and "oos" are benign assistant queries.
LABEL_MAP: dict[str, tuple[str, list[str]]] = {intent: ("safe", []) for intent in INTENTS}

FILE = "data_data_full.json"
SPLITS = ("train", "val", "test", "oos_train", "oos_val", "oos_test")


def load(data_dir: Path) -> Iterator[Record]:
    with open(Path(data_dir) / NAME / FILE, encoding="utf-8") as f:
        data = json.load(f)
    if set(data) != set(SPLITS):
        raise ValueError(f"{NAME}: unexpected splits {sorted(set(data) ^ set(SPLITS))} in {FILE}")
    seen: set[str] = set()
    for split in SPLITS:
        for text, intent in data[split]:
            if intent not in LABEL_MAP:
                raise ValueError(f"{NAME}: unmapped intent {intent!r} in split {split!r}")
            label, cats = LABEL_MAP[intent]
            text = text.strip()
            if text in seen:
                continue
            seen.add(text)
            yield Record(text=text, role="prompt", label=label, source=NAME,
                         licence_class=LICENCE_CLASS, categories=list(cats), lang="en")
