"""``P`` switches the AWS profile and region inside the running console (moto's server).

Two profiles live in temporary AWS config and credentials files (AWS_CONFIG_FILE,
AWS_SHARED_CREDENTIALS_FILE); moto keeps regions apart, so an instance launched in
eu-west-1 only shows once the console talks to eu-west-1.
"""

from __future__ import annotations

from dataclasses import replace

import boto3
import pytest

from console.app import make_app
from console.ui.account.aws_target import AwsTargetScreen
from console.ui.main_screen import MainScreen
from tests.fixtures.demo_endpoint import stop_demo
from tests.fixtures.moto_server import launch
from tests.ui.conftest import cell_texts, notifications, query_shown, wait_until

pytestmark = pytest.mark.timeout(120)

CONFIG = """\
[default]
region = us-east-1

[profile alpha]
region = us-east-1

[profile beta]
region = eu-west-1

[profile sso-dev]
sso_start_url = https://example.awsapps.com/start
sso_region = us-east-1
sso_account_id = 123456789012
sso_role_name = Trainer
region = us-west-2
"""

CREDENTIALS = """\
[alpha]
aws_access_key_id = AKIAALPHA0000000000A
aws_secret_access_key = alpha-secret

[beta]
aws_access_key_id = AKIABETA00000000000B
aws_secret_access_key = beta-secret
"""


@pytest.fixture
def aws_files(tmp_path, monkeypatch, aws_endpoint):
    """Profiles alpha (us-east-1), beta (eu-west-1) and an SSO one never logged in; HOME
    moved so that no SSO token cache of this machine is found."""
    config = tmp_path / "aws-config"
    credentials = tmp_path / "aws-credentials"
    config.write_text(CONFIG)
    credentials.write_text(CREDENTIALS)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(credentials))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    return config


@pytest.fixture
def fleet(aws_endpoint):
    """One instance in us-east-1 and one in eu-west-1."""
    names = {}
    for region, name in [("us-east-1", "east-box"), ("eu-west-1", "west-box")]:
        client = boto3.client("ec2", endpoint_url=aws_endpoint, region_name=region)
        names[region] = launch(client, name)
    return names


@pytest.fixture
def bare_app(aws_files, moto_settings, make_services):
    """The console on profile alpha in us-east-1, no instances anywhere."""
    settings = replace(moto_settings, profile="alpha", region="us-east-1")
    return make_app(settings, make_services(settings))


@pytest.fixture
def alpha_app(fleet, bare_app):
    """The console on profile alpha in us-east-1, one instance there and one in eu-west-1."""
    return bare_app


def instance_names(app) -> set[str]:
    table = app.screen_stack[0].query_one("#instances-table")
    return {cell for row in cell_texts(table) for cell in row if cell.endswith("-box")}


def instances_view(app):
    return app.screen_stack[0].query_one("#view-instances")


async def open_picker(pilot) -> AwsTargetScreen:
    await pilot.press("P")
    await wait_until(pilot, lambda: isinstance(pilot.app.screen, AwsTargetScreen))
    screen = pilot.app.screen
    await wait_until(pilot, lambda: screen.profiles and screen.regions)
    return screen


def options(option_list) -> list[str]:
    return [option_list.get_option_at_index(i).id for i in range(option_list.option_count)]


async def wait_for_instances(pilot, names: set[str]) -> None:
    await wait_until(
        pilot,
        lambda: instances_view(pilot.app).loaded_once and instance_names(pilot.app) == names,
    )


async def test_picker_lists_profiles_sso_included_and_ec2_regions(bare_app):
    async with bare_app.run_test(size=(120, 40)) as pilot:
        screen = await open_picker(pilot)
        profiles = options(screen.profile_list)
        assert profiles == [
            "profile:",
            "profile:alpha",
            "profile:beta",
            "profile:default",
            "profile:sso-dev",
        ]
        kinds = {p.name: p.kind for p in screen.profiles}
        assert kinds["sso-dev"] == "sso" and kinds["alpha"] == "keys"
        regions = options(screen.region_list)
        assert {"us-east-1", "eu-west-1", "ap-northeast-1", "us-west-2"} <= set(regions)
        assert regions == sorted(regions)
        # the cursors start on where the console is now
        assert screen.profile_list.highlighted == profiles.index("profile:alpha")
        assert screen.highlighted_region == "us-east-1"
        await pilot.press("escape")
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, MainScreen))
        assert pilot.app.switched_to is None


@pytest.mark.slow
async def test_switching_region_shows_that_regions_instances(alpha_app):
    async with alpha_app.run_test(size=(120, 40)) as pilot:
        await wait_for_instances(pilot, {"east-box"})
        assert "us-east-1" in pilot.app.sub_title
        screen = await open_picker(pilot)
        await pilot.press("enter")  # keep profile alpha; the cursor moves to the regions
        assert screen.region_list.has_focus
        screen.region_list.highlighted = options(screen.region_list).index("eu-west-1")
        await pilot.press("enter")
        await wait_until(pilot, lambda: pilot.app.switched_to is not None)
        await wait_for_instances(pilot, {"west-box"})
        assert pilot.app.sub_title.startswith("profile alpha · eu-west-1")
        assert pilot.app.services.settings.region == "eu-west-1"
        # and back again
        screen = await open_picker(pilot)
        assert screen.highlighted_region == "eu-west-1"
        await pilot.press("enter")
        screen.region_list.highlighted = options(screen.region_list).index("us-east-1")
        await pilot.press("enter")
        await wait_for_instances(pilot, {"east-box"})
        assert "us-east-1" in pilot.app.sub_title


async def test_switching_profile_rebuilds_clients_and_keeps_hosts(alpha_app):
    services = alpha_app.services
    old_ec2, old_s3, hosts = services.ec2, services.s3, services.hosts
    async with alpha_app.run_test(size=(120, 40)) as pilot:
        await wait_for_instances(pilot, {"east-box"})
        await pilot.press("2")  # the buckets view loads for alpha, then back to instances
        buckets_view = await query_shown(pilot, "#view-buckets")
        await wait_until(pilot, lambda: buckets_view.loaded_once)
        await pilot.press("1")
        screen = await open_picker(pilot)
        screen.profile_list.highlighted = options(screen.profile_list).index("profile:beta")
        await pilot.press("enter")
        # beta names eu-west-1: the region cursor follows the profile
        assert screen.highlighted_region == "eu-west-1"
        await pilot.press("enter")
        await wait_until(pilot, lambda: pilot.app.switched_to is not None)
        assert pilot.app.switched_to.profile == "beta"
        assert pilot.app.switched_to.identity.account  # checked with sts get-caller-identity
        assert pilot.app.sub_title.startswith("profile beta · eu-west-1")
        assert services.settings.profile == "beta"
        assert services.ec2 is not old_ec2 and services.s3 is not old_s3
        assert services.hosts is hosts  # SSH connections and jobs stay
        await wait_for_instances(pilot, {"west-box"})
        # the buckets view, loaded before, loads again for the new account when shown
        assert not buckets_view.loaded_once
        raised = [n.message for n in notifications(pilot.app) if n.title == "AWS"]
        assert any("profile beta · eu-west-1" in m and "account" in m for m in raised)


async def test_sso_profile_without_a_login_says_how_and_keeps_the_old_one(alpha_app):
    services = alpha_app.services
    old_ec2 = services.ec2
    async with alpha_app.run_test(size=(120, 40)) as pilot:
        await wait_for_instances(pilot, {"east-box"})
        screen = await open_picker(pilot)
        screen.profile_list.highlighted = options(screen.profile_list).index("profile:sso-dev")
        await pilot.press("enter")
        assert screen.highlighted_region == "us-west-2"
        await pilot.press("enter")
        await wait_until(
            pilot,
            lambda: any(n.title == "AWS credentials" for n in notifications(pilot.app)),
        )
        error = next(n for n in notifications(pilot.app) if n.title == "AWS credentials")
        assert "sso-dev" in error.message
        assert "aws sso login --profile sso-dev" in error.message
        assert error.severity == "error"
        # nothing changed: same clients, same header, the console still works
        assert pilot.app.switched_to is None
        assert services.ec2 is old_ec2 and services.settings.profile == "alpha"
        assert pilot.app.sub_title.startswith("profile alpha · us-east-1")
        await pilot.press("r")
        await wait_for_instances(pilot, {"east-box"})


async def test_a_profile_removed_meanwhile_is_named_with_the_ones_that_exist(bare_app, aws_files):
    async with bare_app.run_test(size=(120, 40)) as pilot:
        screen = await open_picker(pilot)
        # the files change while the picker is open: beta is gone, gamma is new
        aws_files.write_text(CONFIG.replace("[profile beta]", "[profile gamma]"))
        credentials = aws_files.with_name("aws-credentials")
        credentials.write_text(CREDENTIALS.replace("[beta]", "[gamma]"))
        screen.profile_list.highlighted = options(screen.profile_list).index("profile:beta")
        await pilot.press("enter", "enter")
        await wait_until(
            pilot, lambda: any(n.title == "Configuration" for n in notifications(pilot.app))
        )
        error = next(n for n in notifications(pilot.app) if n.title == "Configuration")
        assert "'beta' is not defined" in error.message
        for name in ("alpha", "gamma", "sso-dev"):
            assert name in error.message
        assert pilot.app.services.settings.profile == "alpha"
        assert pilot.app.switched_to is None


async def test_palette_offers_the_switch(bare_app):
    from textual.command import CommandPalette

    async with bare_app.run_test(size=(120, 40)) as pilot:
        await pilot.press("ctrl+p")
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, CommandPalette))
        await pilot.press(*"profile")
        option_list = pilot.app.screen.query_one("CommandList")
        await wait_until(pilot, lambda: option_list.option_count > 0)
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, AwsTargetScreen))


async def test_the_switch_key_is_remappable(aws_files, moto_settings, make_services):
    settings = replace(moto_settings, profile="alpha", keymap={"app.switch_aws": "f2"})
    app = make_app(settings, make_services(settings))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("P")
        await pilot.pause()
        assert not isinstance(app.screen, AwsTargetScreen)
        await pilot.press("f2")
        await wait_until(pilot, lambda: isinstance(app.screen, AwsTargetScreen))


@pytest.mark.slow
async def test_demo_offers_its_profile_and_switches_region_on_its_endpoint(tmp_path):
    from console.demo import DEMO_REGION
    from console.settings import Settings
    from console.startup import build_services_in_background

    settings = Settings(demo=True, demo_dir=str(tmp_path / "demo"), refresh_interval=0)
    services = build_services_in_background(settings)
    app = make_app(settings, services)

    def listed() -> set[str]:
        table = app.screen_stack[0].query_one("#instances-table")
        return {cell for row in cell_texts(table) for cell in row if cell.startswith("fashion-")}

    try:
        async with app.run_test(size=(120, 40)) as pilot:
            await wait_until(pilot, lambda: "fashion-train" in listed(), within=90)
            assert app.sub_title.startswith(f"demo · {DEMO_REGION}")
            screen = await open_picker(pilot)
            assert options(screen.profile_list) == ["profile:demo"]
            await pilot.press("enter")
            screen.region_list.highlighted = options(screen.region_list).index("us-west-2")
            await pilot.press("enter")
            await wait_until(pilot, lambda: app.switched_to is not None)
            # moto keeps regions apart: the seeded fleet is not in us-west-2
            view = instances_view(app)
            await wait_until(pilot, lambda: view.loaded_once)
            assert listed() == set()
            assert "No instances in this region" in str(view.status_line.render())
            assert app.sub_title.startswith("demo · us-west-2")
            screen = await open_picker(pilot)
            await pilot.press("enter")
            screen.region_list.highlighted = options(screen.region_list).index(DEMO_REGION)
            await pilot.press("enter")
            await wait_until(pilot, lambda: "fashion-train" in listed())
            assert app.sub_title.startswith(f"demo · {DEMO_REGION}")
    finally:
        services.close()
        stop_demo(tmp_path / "demo")  # its endpoint would otherwise run until the session ends


async def test_a_bucket_being_browsed_is_left_when_the_region_changes(aws_files, aws_endpoint, bare_app):
    s3 = boto3.client("s3", endpoint_url=aws_endpoint, region_name="us-east-1")
    s3.create_bucket(Bucket="east-data")
    s3.put_object(Bucket="east-data", Key="Anno/list_category_cloth.txt", Body=b"50\n")
    async with bare_app.run_test(size=(120, 40)) as pilot:
        await pilot.press("2")
        await wait_until(pilot, lambda: pilot.app.screen_stack[0].query_one("#view-buckets"))
        buckets = pilot.app.screen_stack[0].query_one("#view-buckets")
        await wait_until(pilot, lambda: buckets.loaded_once and buckets.table.row_count == 1)
        buckets.open_bucket("east-data")
        assert buckets.browsing
        screen = await open_picker(pilot)
        await pilot.press("enter")
        screen.region_list.highlighted = options(screen.region_list).index("eu-west-1")
        await pilot.press("enter")
        await wait_until(pilot, lambda: pilot.app.switched_to is not None)
        # the browser showed a bucket of the region left behind: back to the bucket list
        await wait_until(pilot, lambda: not buckets.browsing)
        assert buckets.table.has_focus
