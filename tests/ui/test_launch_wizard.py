"""The launch wizard creates a real instance in moto with the options chosen in the form."""

from __future__ import annotations

import os
import stat
from dataclasses import replace

import pytest

from console.app import make_app
from console.aws.ec2.prices import shipped_table
from console.format.instances import dollars
from console.ui.common.confirm import ConfirmScreen
from console.ui.instances.launch_review import LaunchReviewScreen
from console.ui.instances.launch_wizard import NEW_KEY, LaunchWizardScreen
from tests.ui.conftest import notifications, wait_until

pytestmark = pytest.mark.timeout(180)


@pytest.fixture
def home(tmp_path, monkeypatch):
    """HOME in a temporary folder: the created key lands in <tmp>/.ssh, never the real one."""
    monkeypatch.setenv("HOME", str(tmp_path))
    return tmp_path


async def open_wizard(app, pilot):
    await wait_until(pilot, lambda: app.screen.query("#instances-table"))
    await pilot.press("L")
    await wait_until(pilot, lambda: isinstance(app.screen, LaunchWizardScreen))
    await wait_until(pilot, lambda: app.screen.choices is not None)
    return app.screen


def fill(screen, **values) -> None:
    for wid, value in values.items():
        screen.query_one(f"#launch-{wid}").value = value


def typed_field_focused(app) -> bool:
    return app.screen.focused is app.screen.query_one("#confirm-typed")


def instances(ec2) -> list[dict]:
    return [i for r in ec2.describe_instances()["Reservations"] for i in r["Instances"]]


async def review_page(app, pilot) -> LaunchReviewScreen:
    """The review page once it is shown with its lines."""
    await wait_until(
        pilot,
        lambda: (
            isinstance(app.screen, LaunchReviewScreen) and app.screen.query("#launch-review-back")
        ),
    )
    return app.screen


async def confirm_review(app, pilot, ec2) -> LaunchReviewScreen:
    """Wait for the review page, check nothing was created before it, and confirm it."""
    review = await review_page(app, pilot)
    assert instances(ec2) == []
    await pilot.press("y")
    return review


def shown_rows(review: LaunchReviewScreen) -> dict[str, str]:
    """The review page's lines as the screen renders them: label -> value."""
    rows = {}
    for widget in review.query(".launch-review-row"):
        text = str(widget.render())  # the label padded to 15 columns, then the value
        rows[text[:15].strip()] = text[15:]
    return rows


@pytest.mark.slow
async def test_wizard_launches_with_a_new_key_and_an_ssh_group(
    ec2, moto_settings, make_services, home
):
    app = make_app(moto_settings, make_services(moto_settings))
    async with app.run_test(size=(160, 60)) as pilot:
        screen = await open_wizard(app, pilot)
        newest = screen.choices.images[0]
        assert screen.query_one("#launch-ami").value == newest.image_id
        fill(
            screen,
            type="g5.xlarge",
            key=NEW_KEY,
            **{"key-name": "wizard-key"},
            cidr="203.0.113.50",
            spot=True,
            volume="150",
            name="fashion-train",
        )
        await pilot.pause()
        screen.action_launch()
        await confirm_review(app, pilot, ec2)
        await wait_until(pilot, lambda: not isinstance(app.screen, LaunchWizardScreen))
        reply = ec2.describe_instances()["Reservations"]
        (raw,) = [i for r in reply for i in r["Instances"]]
        assert raw["InstanceType"] == "g5.xlarge"
        assert raw["ImageId"] == newest.image_id
        assert raw["KeyName"] == "wizard-key"
        assert raw.get("InstanceLifecycle") == "spot"
        assert {"Key": "Name", "Value": "fashion-train"} in raw["Tags"]
        group = ec2.describe_security_groups(GroupIds=[raw["SecurityGroups"][0]["GroupId"]])
        ranges = group["SecurityGroups"][0]["IpPermissions"][0]["IpRanges"]
        assert [r["CidrIp"] for r in ranges] == ["203.0.113.50/32"]
        volume = raw["BlockDeviceMappings"][0]["Ebs"]["VolumeId"]
        assert ec2.describe_volumes(VolumeIds=[volume])["Volumes"][0]["Size"] == 150
        key_file = home / ".ssh" / "wizard-key.pem"
        assert stat.S_IMODE(os.stat(key_file).st_mode) == 0o600
        assert any(n.title == "Launched" for n in notifications(app))


async def test_wizard_asks_to_type_the_whole_internet_before_opening_ssh_to_it(
    ec2, moto_settings, make_services, home
):
    app = make_app(moto_settings, make_services(moto_settings))
    async with app.run_test(size=(160, 60)) as pilot:
        screen = await open_wizard(app, pilot)
        fill(screen, type="g4dn.xlarge", cidr="0.0.0.0/0", name="open")
        # Service Quotas in moto knows no EC2 quota: the wizard says so and goes on
        quota = screen.query_one("#launch-quota")
        await wait_until(pilot, lambda: "vCPU quota" in str(quota.render()))
        screen.action_launch()
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        assert app.screen.typed_confirmation == "0.0.0.0/0"
        # the question opens in its typed field: the first Escape leaves the field, the
        # second closes the question
        await wait_until(pilot, lambda: typed_field_focused(app))
        await pilot.press("escape", "escape")
        await wait_until(pilot, lambda: app.screen is screen)
        assert "not confirmed" in str(screen.query_one("#launch-status").render())
        assert ec2.describe_instances()["Reservations"] == []
        assert not [g for g in ec2.describe_security_groups()["SecurityGroups"]
                    if g["GroupName"] == "open-ssh"]  # fmt: skip

        screen.action_launch()
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press(*"0.0.0.0/0", "enter")
        review = await confirm_review(app, pilot, ec2)
        assert "from 0.0.0.0/0 only" in review.text()
        await wait_until(pilot, lambda: not isinstance(app.screen, LaunchWizardScreen))
        [reservation] = ec2.describe_instances()["Reservations"]
        group_id = reservation["Instances"][0]["SecurityGroups"][0]["GroupId"]
        group = ec2.describe_security_groups(GroupIds=[group_id])["SecurityGroups"][0]
        assert group["IpPermissions"][0]["IpRanges"][0]["CidrIp"] == "0.0.0.0/0"


async def test_a_narrower_but_still_wide_range_needs_the_same_typed_confirmation(
    ec2, moto_settings, make_services, home
):
    app = make_app(moto_settings, make_services(moto_settings))
    async with app.run_test(size=(160, 60)) as pilot:
        screen = await open_wizard(app, pilot)
        fill(screen, type="g4dn.xlarge", cidr="1.2.3.77/24", name="office")
        await pilot.pause()
        screen.action_launch()
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        assert app.screen.typed_confirmation == "1.2.3.0/24"
        await pilot.press(*"1.2.3.77", "enter")  # one address of it is not the range
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        assert ec2.describe_instances()["Reservations"] == []
        app.screen.query_one("#confirm-typed").value = ""
        await pilot.press(*"1.2.3.0/24", "enter")
        await confirm_review(app, pilot, ec2)
        await wait_until(pilot, lambda: not isinstance(app.screen, LaunchWizardScreen))
        [reservation] = ec2.describe_instances()["Reservations"]
        group_id = reservation["Instances"][0]["SecurityGroups"][0]["GroupId"]
        group = ec2.describe_security_groups(GroupIds=[group_id])["SecurityGroups"][0]
        assert group["IpPermissions"][0]["IpRanges"][0]["CidrIp"] == "1.2.3.0/24"


async def test_wizard_is_refused_read_only(ec2, moto_settings, make_services, home):
    settings = replace(moto_settings, read_only=True)
    app = make_app(settings, make_services(settings))
    async with app.run_test(size=(160, 60)) as pilot:
        await wait_until(pilot, lambda: app.screen.query("#instances-table"))
        await pilot.press("L")
        await pilot.pause()
        assert not isinstance(app.screen, LaunchWizardScreen)
        assert any(n.title == "Read-only" for n in notifications(app))


async def test_the_wizard_ends_on_a_review_page_that_creates_nothing_until_confirmed(
    ec2, moto_settings, make_services, home
):
    ec2.create_key_pair(KeyName="laptop")
    app = make_app(moto_settings, make_services(moto_settings))
    async with app.run_test(size=(160, 60)) as pilot:
        screen = await open_wizard(app, pilot)
        image = screen.choices.images[0]
        fill(screen, type="g5.xlarge", key="laptop", cidr="203.0.113.50", volume="150")
        fill(screen, name="fashion-train")
        await pilot.pause()
        screen.action_launch()
        review = await review_page(app, pilot)
        rows = shown_rows(review)
        truth = ec2.describe_instance_types(InstanceTypes=["g5.xlarge"])["InstanceTypes"][0]
        vcpus = truth["VCpuInfo"]["DefaultVCpus"]
        assert rows["Type"].startswith("g5.xlarge: ")
        assert f"{vcpus} vCPU" in rows["Type"] and rows["Type"].endswith("on-demand")
        assert rows["AMI"] == f"{image.name} ({image.image_id})"
        assert rows["Key pair"] == "existing key pair 'laptop'"
        assert "tcp 22 (SSH) from 203.0.113.50/32 only" in rows["Security group"]
        assert rows["Storage"].startswith("150 GiB gp3")
        listed = shipped_table().lookup("us-east-1", "g5.xlarge")
        assert rows["Price"] == f"{dollars(listed)}/hour (on-demand, table {shipped_table().as_of})"
        # moto's Service Quotas knows no EC2 quota: the page says the quota is unknown
        assert rows["Quota"].startswith("vCPU quota unknown for ")
        assert f"0 vCPUs in use; this launch adds {vcpus}" in rows["Quota"]
        assert rows["Dry run"].startswith("would succeed")
        assert "the security group 'fashion-train-ssh'" in rows["Dry run"]
        assert not review.query_one("#launch-review-go").disabled

        # Back: the form as typed, and nothing in EC2
        await pilot.press("escape")
        await wait_until(pilot, lambda: app.screen is screen)
        assert instances(ec2) == []
        groups = ec2.describe_security_groups()["SecurityGroups"]
        assert "fashion-train-ssh" not in [g["GroupName"] for g in groups]
        assert screen.query_one("#launch-name").value == "fashion-train"

        screen.action_launch()
        await confirm_review(app, pilot, ec2)
        await wait_until(pilot, lambda: len(instances(ec2)) == 1)
        (raw,) = instances(ec2)
        assert raw["InstanceType"] == "g5.xlarge" and raw["KeyName"] == "laptop"
        assert {"Key": "Name", "Value": "fashion-train"} in raw["Tags"]


async def test_a_review_whose_dry_run_fails_cannot_be_confirmed(
    ec2, moto_settings, make_services, home
):
    app = make_app(moto_settings, make_services(moto_settings))
    async with app.run_test(size=(160, 60)) as pilot:
        screen = await open_wizard(app, pilot)
        fill(screen, type="g5.xlarge", cidr="203.0.113.50", name="ghost")
        fill(screen, **{"ami-id": "ami-00000000"})
        await pilot.pause()
        screen.action_launch()
        review = await review_page(app, pilot)
        rows = shown_rows(review)
        assert rows["AMI"] == "ami-00000000 (not found)"
        assert rows["Dry run"].startswith("would fail:") and "ami-00000000" in rows["Dry run"]
        assert review.query_one("#launch-review-go").disabled
        await pilot.press("y")
        await pilot.pause()
        assert app.screen is review  # refused: still on the page
        assert instances(ec2) == []
        await pilot.press("escape")
        await wait_until(pilot, lambda: app.screen is screen)
        assert instances(ec2) == []
