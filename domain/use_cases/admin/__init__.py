"""Use cases of the operator console (管理后台): each checks the operator's role itself, and records what it did."""
