"""How AWS profiles and targets read in the header and the profile picker."""

from __future__ import annotations

from console.models import AwsProfile


def profile_label(profile: AwsProfile) -> str:
    """The profile's name; the standard credential chain has none and reads as such."""
    return profile.name if profile.name is not None else "(standard chain)"
