"""The notebooks' shared set-up cell: what it prints and what it refuses."""

import pytest

from dlhw import profiles, session


def test_describe_names_profile_sizes_and_how_to_change(monkeypatch):
    monkeypatch.setenv("DLHW_PROFILE", "quick")
    text = session.describe(profiles.current(), ("cnn_epochs", "gradcam_images"), 7)
    first, hint = text.splitlines()
    assert first == "seed 7; profile quick (from DLHW_PROFILE): cnn_epochs=2, gradcam_images=500"
    assert "%env DLHW_PROFILE=quick" in hint and "smoke | quick | full" in hint
    assert "make lab" in hint


def test_describe_says_when_the_default_is_used_and_all_for_none(monkeypatch):
    monkeypatch.delenv("DLHW_PROFILE", raising=False)
    first = session.describe(profiles.current(), ("mnist_train",), 42).splitlines()[0]
    assert first == "seed 42; profile full (DLHW_PROFILE unset, the default): mnist_train=all"


def test_describe_rejects_unknown_field():
    with pytest.raises(profiles.ProfileError, match="cnn_epoch"):
        session.describe(profiles.get("smoke"), ("cnn_epoch",), 0)


def test_start_seeds_reads_the_profile_and_prints(monkeypatch, capsys):
    monkeypatch.setenv("DLHW_PROFILE", "smoke")
    seed, profile = session.start("bn_epochs", seed=3)
    assert (seed, profile.name) == (3, "smoke")
    assert capsys.readouterr().out.startswith(
        "seed 3; profile smoke (from DLHW_PROFILE): bn_epochs=1\n"
    )


def test_setup_seeds_and_silences_without_printing(capsys):
    import warnings

    import numpy as np

    with warnings.catch_warnings():
        assert session.setup(5) == 5
        first = np.random.rand()
        session.setup(5)
        assert np.random.rand() == first  # seeded again, same draw
        with warnings.catch_warnings(record=True) as caught:
            warnings.warn(
                "Skipping variable loading for optimizer 'adam'", UserWarning, stacklevel=1
            )
        assert caught == []  # one of the known warnings, silenced
    assert capsys.readouterr().out == ""  # scripts print their own lines
