"""Short texts an IVR can read out or an agent can paste, in Italian and English. Pure."""

from __future__ import annotations

from datetime import datetime

from ottwatch.domain.status import State

# {name} and {time} are filled in; the second sentence is added when the fault is the provider's.
_SENTENCES = {
    "en": {
        State.OPERATIONAL: "{name} is working normally.",
        State.UNDER_MAINTENANCE: "{name} has been under planned maintenance since {time}.",
        State.DEGRADED_PERFORMANCE: "{name} has been slow or failing for some users since {time}.",
        State.PARTIAL_OUTAGE: "{name} has been partly down since {time}.",
        State.MAJOR_OUTAGE: "{name} has been down since {time}.",
        State.UNKNOWN: "{name}: no up-to-date information since {time}.",
    },
    "it": {
        State.OPERATIONAL: "{name} funziona regolarmente.",
        State.UNDER_MAINTENANCE: "{name} è in manutenzione programmata dalle {time}.",
        State.DEGRADED_PERFORMANCE: "{name} è lento o dà errori per alcuni utenti dalle {time}.",
        State.PARTIAL_OUTAGE: "{name} è parzialmente non disponibile dalle {time}.",
        State.MAJOR_OUTAGE: "{name} non è disponibile dalle {time}.",
        State.UNKNOWN: "{name}: nessuna informazione aggiornata dalle {time}.",
    },
}
_RECOVERED = {"en": "{name} is working normally again.", "it": "{name} funziona di nuovo regolarmente."}
_NOT_US = {
    "en": " The problem is on {name}'s side, not our network.",
    "it": " Il problema è di {name}, non della nostra rete.",
}
LANGUAGES = tuple(_SENTENCES)


def short_text(lang: str, name: str, state: State, previous: State | None, since: datetime) -> str:
    time = since.strftime("%H:%M UTC")
    if state is State.OPERATIONAL and previous is not None and previous.severity > State.OPERATIONAL.severity:
        return _RECOVERED[lang].format(name=name)
    text = _SENTENCES[lang][state].format(name=name, time=time)
    if state.is_provider_fault:
        text += _NOT_US[lang].format(name=name)
    return text


def short_texts(name: str, state: State, previous: State | None, since: datetime) -> dict[str, str]:
    return {lang: short_text(lang, name, state, previous, since) for lang in LANGUAGES}
