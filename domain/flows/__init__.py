"""Steps several use cases share, run inside the caller's unit of work: recording an event or a refusal, proving a
mobile with an SMS code, checking a captcha, starting a session, checking an operator's role. Not use cases
themselves: none is called by an entrypoint."""
