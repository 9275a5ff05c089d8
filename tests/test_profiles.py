"""dlhw.profiles: parsing DLHW_PROFILE and the shape of every profile."""

import dataclasses

import pytest

from dlhw import profiles


def test_default_is_full(monkeypatch):
    monkeypatch.delenv("DLHW_PROFILE", raising=False)
    assert profiles.current().name == "full"


@pytest.mark.parametrize("name", ["smoke", "quick", "full", " Quick "])
def test_valid_names(monkeypatch, name):
    monkeypatch.setenv("DLHW_PROFILE", name)
    assert profiles.current().name == name.strip().lower()


def test_unknown_name_lists_valid_ones(monkeypatch):
    monkeypatch.setenv("DLHW_PROFILE", "fast")
    with pytest.raises(profiles.ProfileError, match="'fast'.*smoke, quick, full"):
        profiles.current()


def test_profiles_are_frozen_and_grow_from_smoke_to_full():
    smoke, quick, full = (profiles.get(n) for n in ("smoke", "quick", "full"))
    with pytest.raises(dataclasses.FrozenInstanceError):
        smoke.cnn_epochs = 3
    assert smoke.cnn_epochs <= quick.cnn_epochs <= full.cnn_epochs
    assert full.cnn_epochs == 15  # the answer's Q7 training length
    assert full.subset(60000, "mnist_train") == 60000
    assert smoke.subset(60000, "mnist_train") == smoke.mnist_train
