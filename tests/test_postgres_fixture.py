"""The throwaway PostgreSQL server fixture: it answers, and its databases are separate."""

from __future__ import annotations

import sqlalchemy as sa

from tests._postgres import PostgresServer


def test_server_answers(postgres_server: PostgresServer) -> None:
    url = postgres_server.new_database("fixture_version")
    assert url == f"postgresql+psycopg://postgres@127.0.0.1:{postgres_server.port}/fixture_version"
    assert postgres_server.port != 5432
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            version = conn.execute(sa.text("select version()")).scalar_one()
    finally:
        engine.dispose()
    assert "PostgreSQL" in version


def test_databases_are_distinct(postgres_server: PostgresServer) -> None:
    first = sa.create_engine(postgres_server.new_database("fixture_first"))
    second = sa.create_engine(postgres_server.new_database("fixture_second"))
    try:
        with first.begin() as conn:
            conn.execute(sa.text("create table only_in_first (id integer primary key)"))
            conn.execute(sa.text("insert into only_in_first values (1)"))
        assert sa.inspect(first).has_table("only_in_first")
        assert not sa.inspect(second).has_table("only_in_first")
        with first.connect() as conn:
            assert conn.execute(sa.text("select current_database()")).scalar_one() == "fixture_first"
        with second.connect() as conn:
            assert conn.execute(sa.text("select current_database()")).scalar_one() == "fixture_second"
    finally:
        first.dispose()
        second.dispose()
