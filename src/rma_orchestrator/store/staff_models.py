"""The staff's accounts, groups, tokens, saved filters and sign-in failures, the working-day
calendar's entries and the shared settings.

Declared on the same ``Base`` as ``models`` (which imports this module).
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base


class Group(Base):
    __tablename__ = "user_group"
    name: Mapped[str] = mapped_column(String(120), primary_key=True)
    label_en: Mapped[str | None] = mapped_column(String(255))
    label_zh: Mapped[str | None] = mapped_column(String(255))


class User(Base):
    __tablename__ = "app_user"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    role: Mapped[str] = mapped_column(String(20))
    password_hash: Mapped[str | None] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime]
    locale: Mapped[str | None] = mapped_column(String(10))  # the pages' language; None: the browser's


class SavedFilter(Base):
    """An inbox query a user named, kept as the inbox URL's query string."""

    __tablename__ = "saved_filter"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_name: Mapped[str] = mapped_column(String(120))
    name: Mapped[str] = mapped_column(String(120))
    query: Mapped[str] = mapped_column(String(1000))
    created_at: Mapped[datetime]
    __table_args__ = (UniqueConstraint("user_name", "name"),)


class SignInFailure(Base):
    """Consecutive failed sign-ins per user name and per client address, shared by every process."""

    __tablename__ = "sign_in_failure"
    key: Mapped[str] = mapped_column(String(200), primary_key=True)  # "name:<user>" or "address:<ip>"
    failures: Mapped[int]
    last_failed_at: Mapped[datetime]


class Membership(Base):
    __tablename__ = "membership"
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), primary_key=True)
    group_name: Mapped[str] = mapped_column(ForeignKey("user_group.name"), primary_key=True)


class ApiToken(Base):
    __tablename__ = "api_token"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime]


class CalendarOverride(Base):
    """A date whose working-day status an operator set (``rma calendar set``)."""

    __tablename__ = "calendar_override"
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    workday: Mapped[bool] = mapped_column(Boolean)
    set_by: Mapped[str | None] = mapped_column(String(120))
    set_at: Mapped[datetime]


class ConfirmedCalendarYear(Base):
    """A year whose holiday schedule an operator confirmed (``rma calendar confirm``)."""

    __tablename__ = "calendar_year"
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    confirmed_by: Mapped[str | None] = mapped_column(String(120))
    confirmed_at: Mapped[datetime]


class Setting(Base):
    """Small shared values, such as the controlled clock's time."""

    __tablename__ = "setting"
    key: Mapped[str] = mapped_column(String(120), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
