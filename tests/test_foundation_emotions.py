"""The shared emotion vocabulary: order, parsing and circumplex placement."""

from __future__ import annotations

import re

import pytest

from emotune.emotions import CLASS_NAMES, EMOTIONS, NUM_CLASSES, Emotion, expected_va

EXPECTED_VA = {
    Emotion.HAPPY: (0.83, 0.53),
    Emotion.SAD: (-0.65, -0.27),
    Emotion.ANGRY: (-0.52, 0.58),
    Emotion.FEAR: (-0.34, 0.64),
    Emotion.SURPRISE: (0.16, 0.89),
    Emotion.NEUTRAL: (0.0, 0.0),
    Emotion.DISGUST: (-0.6, 0.3),
}


def test_canonical_order_is_the_fer_model_output_order():
    assert CLASS_NAMES == ("angry", "disgust", "fear", "happy", "neutral", "sad", "surprise")
    assert [e.value for e in EMOTIONS] == list(range(7))
    assert NUM_CLASSES == 7


@pytest.mark.parametrize("emotion", list(EXPECTED_VA))
def test_valence_and_arousal_values(emotion):
    assert emotion.va == pytest.approx(EXPECTED_VA[emotion])
    assert (emotion.valence, emotion.arousal) == emotion.va


@pytest.mark.parametrize("emotion", EMOTIONS)
def test_each_emotion_has_label_emoji_and_colour(emotion):
    assert emotion.label == emotion.key.capitalize()
    assert emotion.emoji and not emotion.emoji.isascii()
    assert re.fullmatch(r"#[0-9a-f]{6}", emotion.colour)


def test_presentation_data_is_distinct():
    assert len({e.emoji for e in EMOTIONS}) == NUM_CLASSES
    assert len({e.colour for e in EMOTIONS}) == NUM_CLASSES


@pytest.mark.parametrize("text", ["happy", "HAPPY", " Happy ", "3", Emotion.HAPPY])
def test_parse_accepts_names_in_any_case_indexes_and_members(text):
    assert Emotion.parse(text) is Emotion.HAPPY


@pytest.mark.parametrize("text", ["joy", "", "7", "-1", "happy!"])
def test_parse_rejects_unknown_names_and_lists_the_valid_ones(text):
    with pytest.raises(ValueError, match="angry, disgust, fear, happy, neutral, sad, surprise"):
        Emotion.parse(text)


def test_expected_va_of_a_one_hot_distribution_is_that_emotion():
    one_hot = [0.0] * NUM_CLASSES
    one_hot[Emotion.SAD.value] = 1.0
    assert expected_va(one_hot) == pytest.approx(Emotion.SAD.va)
