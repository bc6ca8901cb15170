"""The Instances view against moto's server: columns, sort, filter, actions, detail."""

from __future__ import annotations

from dataclasses import replace

import pytest

from console.app import make_app
from console.aws.ec2.prices import shipped_table
from console.ui.common.confirm import ConfirmScreen
from console.ui.instances.detail import InstanceDetailScreen
from tests.fixtures.moto_server import launch
from tests.ui.conftest import cell_texts, notifications, wait_until

pytestmark = pytest.mark.timeout(180)


def table(app):
    return app.screen.query_one("#instances-table")


def view(app):
    return app.screen.query_one("#view-instances")


def column(app, key: str) -> list[str]:
    keys = [c.key.value for c in table(app).ordered_columns]
    return [row[keys.index(key)] for row in cell_texts(table(app))]


def state(ec2, instance_id: str) -> str:
    reply = ec2.describe_instances(InstanceIds=[instance_id])
    return reply["Reservations"][0]["Instances"][0]["State"]["Name"]


async def test_columns_show_gpus_market_price_and_its_source(ec2, moto_settings, make_services):
    gpu = launch(ec2, "train", "g5.xlarge")
    launch(ec2, "cpu", "t3.micro")
    truth = ec2.describe_instance_types(InstanceTypes=["g5.xlarge"])["InstanceTypes"][0]
    gpu_info = truth["GpuInfo"]["Gpus"][0]
    app = make_app(moto_settings, make_services(moto_settings))
    async with app.run_test(size=(220, 40)) as pilot:
        await wait_until(pilot, lambda: table(app).row_count == 2)
        keys = [c.key.value for c in table(app).ordered_columns]
        row = dict(zip(keys, dict((r[0], r) for r in cell_texts(table(app)))[gpu], strict=True))
        assert row["gpus"].startswith(f"{gpu_info['Count']}× {gpu_info['Name']}")
        assert row["market"] == "on-demand"
        assert row["az"].startswith("us-east-1")
        listed = shipped_table().lookup("us-east-1", "g5.xlarge")
        assert row["price"] == f"${listed:,.3f}"
        assert row["price_source"] == f"table {shipped_table().as_of}"
        assert row["uptime"].endswith("m")
        assert row["cost"].startswith("$")


async def test_sort_cycles_columns_and_filter_matches_any_column(ec2, moto_settings, make_services):
    launch(ec2, "bravo", "g4dn.xlarge")
    launch(ec2, "alpha", "t3.micro")
    launch(ec2, "charlie", "g5.xlarge")
    app = make_app(moto_settings, make_services(moto_settings))
    async with app.run_test(size=(220, 40)) as pilot:
        await wait_until(pilot, lambda: table(app).row_count == 3)
        await pilot.press("s", "s")  # ID, then Name
        assert view(app).sort_column == "name"
        assert column(app, "name") == ["alpha", "bravo", "charlie"]
        await pilot.press("S")
        assert column(app, "name") == ["charlie", "bravo", "alpha"]
        await pilot.press("slash", *"g4dn")
        assert column(app, "name") == ["bravo"]
        await pilot.press("escape")
        assert table(app).row_count == 3


async def test_stop_asks_then_changes_moto_state_and_view_follows(
    ec2, moto_settings, make_services
):
    instance_id = launch(ec2, "train")
    app = make_app(moto_settings, make_services(moto_settings))
    async with app.run_test(size=(220, 40)) as pilot:
        await wait_until(pilot, lambda: table(app).row_count == 1)
        await pilot.press("X")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        assert state(ec2, instance_id) == "running"  # nothing happens before the yes
        await pilot.press("y")
        await wait_until(pilot, lambda: state(ec2, instance_id) in ("stopping", "stopped"))
        await wait_until(pilot, lambda: column(app, "state")[0] in ("stopping", "stopped"))


async def test_terminate_needs_the_typed_name(ec2, moto_settings, make_services):
    instance_id = launch(ec2, "precious")
    app = make_app(moto_settings, make_services(moto_settings))
    async with app.run_test(size=(220, 40)) as pilot:
        await wait_until(pilot, lambda: table(app).row_count == 1)
        await pilot.press("delete")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press(*"precios", "enter")  # a typo
        assert isinstance(app.screen, ConfirmScreen)
        assert any(n.title == "Not confirmed" for n in notifications(app))
        assert state(ec2, instance_id) == "running"
        app.screen.query_one("#confirm-typed").value = ""
        await pilot.press(*"precious", "enter")
        await wait_until(pilot, lambda: state(ec2, instance_id) in ("shutting-down", "terminated"))


async def test_read_only_refuses_every_state_action(ec2, moto_settings, make_services):
    instance_id = launch(ec2, "train")
    settings = replace(moto_settings, read_only=True)
    app = make_app(settings, make_services(settings))
    async with app.run_test(size=(220, 40)) as pilot:
        await wait_until(pilot, lambda: table(app).row_count == 1)
        for key in ("X", "B", "delete"):
            await pilot.press(key)
            await pilot.pause()
            assert not isinstance(app.screen, ConfirmScreen)
        refusals = [n for n in notifications(app) if n.title == "Read-only"]
        assert len(refusals) == 3
        assert state(ec2, instance_id) == "running"


async def test_enter_opens_the_detail_with_key_and_rules(ec2, moto_settings, make_services):
    group = ec2.create_security_group(GroupName="ssh-in", Description="ssh")["GroupId"]
    ec2.authorize_security_group_ingress(
        GroupId=group, IpProtocol="tcp", FromPort=22, ToPort=22, CidrIp="198.51.100.4/32"
    )
    ec2.create_key_pair(KeyName="laptop")
    image = ec2.describe_images(Owners=["amazon"])["Images"][0]["ImageId"]
    ec2.run_instances(
        ImageId=image,
        InstanceType="t3.micro",
        MinCount=1,
        MaxCount=1,
        KeyName="laptop",
        SecurityGroupIds=[group],
    )
    app = make_app(moto_settings, make_services(moto_settings))
    async with app.run_test(size=(220, 50)) as pilot:
        await wait_until(pilot, lambda: table(app).row_count == 1)
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, InstanceDetailScreen))
        await wait_until(pilot, lambda: app.screen.detail is not None)
        body = str(app.screen.query_one("#instance-detail-body").render())
        assert "laptop" in body
        assert "198.51.100.4/32" in body
        assert "port 22" in body
        await pilot.press("escape")
        assert not isinstance(app.screen, InstanceDetailScreen)


@pytest.mark.slow
async def test_reload_keeps_sort_filter_and_cursor(ec2, moto_settings, make_services):
    for name in ("delta", "alpha", "charlie", "bravo"):
        launch(ec2, name)
    app = make_app(moto_settings, make_services(moto_settings))
    async with app.run_test(size=(220, 40)) as pilot:
        await wait_until(pilot, lambda: table(app).row_count == 4)
        await pilot.press("s", "s", "down", "down")
        assert column(app, "name") == ["alpha", "bravo", "charlie", "delta"]
        chosen = table(app).cursor_key
        launch(ec2, "aardvark")
        await pilot.press("r")
        await wait_until(pilot, lambda: table(app).row_count == 5)
        assert column(app, "name") == ["aardvark", "alpha", "bravo", "charlie", "delta"]
        assert table(app).cursor_key == chosen


async def test_transitional_states_reload_until_settled(ec2, moto_settings, make_services):
    from console.models import InstanceState
    from console.ui.instances.view import InstanceRow

    launch(ec2, "train")
    app = make_app(moto_settings, make_services(moto_settings))
    async with app.run_test(size=(220, 40)) as pilot:
        await wait_until(pilot, lambda: table(app).row_count == 1)
        v = view(app)
        settled = v.rows[0]
        assert v._transition_timer is None
        pending = InstanceRow(
            replace(settled.instance, state=InstanceState.PENDING), None, None, settled.now
        )
        v.show_items([pending])
        assert v._transition_timer is not None
        # the quick reload fetches moto's truth (running) and then stops reloading
        await wait_until(pilot, lambda: column(app, "state") == ["running"])
        await wait_until(pilot, lambda: v._transition_timer is None)


async def test_shell_key_builds_ssh_with_the_key_file(ec2, moto_settings, make_services, tmp_path):
    ec2.create_key_pair(KeyName="laptop")
    image = ec2.describe_images(Owners=["amazon"])["Images"][0]["ImageId"]
    ec2.run_instances(
        ImageId=image, InstanceType="t3.micro", MinCount=1, MaxCount=1, KeyName="laptop"
    )
    (tmp_path / "laptop.pem").write_text("key")
    config = tmp_path / "config.toml"
    config.write_text(f'[instances]\nssh_user = "ec2-user"\nkey_dir = "{tmp_path}"\n')
    from console.settings import Settings

    loaded = Settings.load(config, environ={})
    settings = loaded.with_overrides(
        endpoint_url=moto_settings.endpoint_url, region="us-east-1", refresh_interval=0.0
    )
    app = make_app(settings, make_services(settings))
    async with app.run_test(size=(220, 40)) as pilot:
        await wait_until(pilot, lambda: table(app).row_count == 1)
        await pilot.press("c")
        await wait_until(pilot, lambda: getattr(view(app), "last_terminal_argv", None))
        public_ip = column(app, "public_ip")[0]
        assert view(app).last_terminal_argv == [
            "ssh",
            "-i",
            str(tmp_path / "laptop.pem"),
            "-t",
            "--",
            f"ec2-user@{public_ip}",
        ]


def stopped_instance(ec2, name: str, instance_type: str) -> str:
    instance_id = launch(ec2, name, instance_type)
    ec2.stop_instances(InstanceIds=[instance_id])
    assert state(ec2, instance_id) == "stopped"
    return instance_id


async def test_start_shows_the_price_per_hour_and_asks_first(ec2, moto_settings, make_services):
    from console.format.instances import dollars

    instance_id = stopped_instance(ec2, "train", "g5.xlarge")
    listed = shipped_table().lookup("us-east-1", "g5.xlarge")
    app = make_app(moto_settings, make_services(moto_settings))
    async with app.run_test(size=(220, 40)) as pilot:
        await wait_until(pilot, lambda: column(app, "state") == ["stopped"])
        await pilot.press("U")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        detail = str(app.screen.query_one("#confirm-detail").render())
        assert f"{instance_id} (g5.xlarge) costs {dollars(listed)}/hour (on-demand" in detail
        await pilot.press("n")
        await wait_until(pilot, lambda: not isinstance(app.screen, ConfirmScreen))
        await pilot.press("r")
        await wait_until(pilot, lambda: column(app, "state") == ["stopped"])
        assert state(ec2, instance_id) == "stopped"  # "no" started nothing

        await pilot.press("U")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("y")
        await wait_until(pilot, lambda: state(ec2, instance_id) in ("pending", "running"))
        await wait_until(pilot, lambda: column(app, "state")[0] in ("pending", "running"))


async def test_read_only_refuses_a_start_without_asking(ec2, moto_settings, make_services):
    instance_id = stopped_instance(ec2, "train", "g5.xlarge")
    settings = replace(moto_settings, read_only=True)
    app = make_app(settings, make_services(settings))
    async with app.run_test(size=(220, 40)) as pilot:
        await wait_until(pilot, lambda: column(app, "state") == ["stopped"])
        await pilot.press("U")
        await pilot.pause()
        assert not isinstance(app.screen, ConfirmScreen)
        assert any(
            n.title == "Read-only" and "Start train" in n.message for n in notifications(app)
        )
        assert state(ec2, instance_id) == "stopped"
