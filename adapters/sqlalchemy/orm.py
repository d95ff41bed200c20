"""Imperative mapping: the domain classes are mapped onto the tables from here, and never import the ORM."""

from __future__ import annotations

from sqlalchemy.orm import registry

from adapters.sqlalchemy import tables
from domain.model import SmsChallenge, User, UserSession
from domain.operators import Operator, OperatorSession

mapper_registry = registry(metadata=tables.metadata)


def start_mappers() -> None:
    if getattr(User, "__mapper__", None) is not None:  # once per process
        return
    mapper_registry.map_imperatively(User, tables.users)
    mapper_registry.map_imperatively(SmsChallenge, tables.sms_challenges)
    mapper_registry.map_imperatively(UserSession, tables.user_sessions)
    mapper_registry.map_imperatively(Operator, tables.operators)
    mapper_registry.map_imperatively(OperatorSession, tables.operator_sessions)
