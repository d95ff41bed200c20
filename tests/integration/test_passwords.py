"""The argon2 adapter: OWASP parameters, and hashes made under older parameters still sign in."""

from adapters.passwords import OWASP, Argon2Hasher


def test_hashes_are_argon2id_with_the_chosen_parameters():
    hashed = Argon2Hasher().hash("s3cure-Passw0rd")
    assert hashed.startswith(f"$argon2id$v=19$m={OWASP['memory_cost']},t={OWASP['time_cost']},p=1$")
    assert Argon2Hasher().verify(hashed, "s3cure-Passw0rd")
    assert not Argon2Hasher().verify(hashed, "s3cure-Passw0rd!")
    assert not Argon2Hasher().verify("not a hash", "s3cure-Passw0rd")


def test_an_older_parameter_set_verifies_and_asks_for_a_rehash():
    older = Argon2Hasher(time_cost=2, memory_cost=19 * 1024, parallelism=1).hash("s3cure-Passw0rd")
    current = Argon2Hasher()
    assert current.verify(older, "s3cure-Passw0rd") and current.needs_rehash(older)
    assert not current.needs_rehash(current.hash("s3cure-Passw0rd"))
