"""The launch wizard's backend: AMIs, key pairs, a security group for SSH, and run-instances.

Each step is one EC2 call the tutorial would have the user click through in the web console.
Key files are written with mode 0600 and never overwrite an existing file; a security group
rule wider than one address (any IPv4 prefix shorter than /32, any IPv6 one shorter than
/128: ``0.0.0.0/0`` and ``::/0``, but also ``10.0.0.0/8`` or ``1.2.3.0/24``) needs the
range typed back as ``confirmed``; the launch is a dry run first, so a missing permission or
a wrong parameter fails before anything is created. ``review`` gathers what the wizard's last
page shows (AMI, hardware, quota and its use, the dry run's answer) without creating anything.
"""

from __future__ import annotations

import glob
import ipaddress
import os
import urllib.request
from dataclasses import replace
from typing import Any

from botocore import exceptions as boto

from console.aws.ec2.answers import instance_from_api, instance_type_from_api
from console.aws.ec2.quotas import QuotaService
from console.aws.session import AwsSession
from console.errors import ConfigError, ConsoleError, ReadOnlyError
from console.models import (
    HourlyPrice,
    ImageInfo,
    Instance,
    InstanceTypeInfo,
    KeyPairInfo,
    LaunchRequest,
)
from console.models.launch import DryRunAnswer, LaunchReview, QuotaUse

#: Deep Learning AMIs (PyTorch, Ubuntu) carry names like "Deep Learning OSS Nvidia Driver
#: AMI GPU PyTorch 2.3 (Ubuntu 22.04) 20240611"
DEEP_LEARNING_FILTER = "Deep Learning*"
#: answers the caller's public address as plain text (AWS's own service)
PUBLIC_IP_URL = "https://checkip.amazonaws.com"


class LaunchError(ConsoleError):
    title = "Launch"


class Launcher:
    def __init__(self, aws_session: AwsSession):
        self._aws = aws_session

    @property
    def _ec2(self) -> Any:
        return self._aws.client("ec2")

    # -- AMIs --------------------------------------------------------------------------------

    def find_images(
        self, name_filter: str = DEEP_LEARNING_FILTER, owners: tuple[str, ...] = ("amazon",)
    ) -> list[ImageInfo]:
        """Images whose name matches ``name_filter`` (``*`` wildcards), newest first.

        Shell equivalent: ``aws ec2 describe-images --owners amazon --filters
        Name=name,Values='Deep Learning*'``, sorted by CreationDate.
        Raises AccessDeniedError, CredentialsError, EndpointError.
        """
        with self._aws.errors("ec2"):
            reply = self._ec2.describe_images(
                Owners=list(owners), Filters=[{"Name": "name", "Values": [name_filter]}]
            )
        images = [image_from_api(raw) for raw in reply.get("Images", [])]
        return sorted(images, key=lambda i: (i.created, i.name), reverse=True)

    def image(self, image_id: str) -> ImageInfo:
        """One AMI by id (``aws ec2 describe-images --image-ids ID``).
        Raises LaunchError naming the id when EC2 does not know it."""
        try:
            reply = self._ec2.describe_images(ImageIds=[image_id])
        except boto.ClientError as exc:
            if "InvalidAMIID" in exc.response.get("Error", {}).get("Code", ""):
                raise LaunchError(f"No AMI {image_id!r} in this region.") from exc
            raise self._aws.translate(exc, "ec2") from exc
        images = reply.get("Images", [])
        if not images:
            raise LaunchError(f"No AMI {image_id!r} in this region.")
        return image_from_api(images[0])

    # -- key pairs ---------------------------------------------------------------------------

    def key_pairs(self) -> list[KeyPairInfo]:
        """The region's key pairs (``aws ec2 describe-key-pairs``)."""
        with self._aws.errors("ec2"):
            reply = self._ec2.describe_key_pairs()
        return sorted(
            (
                KeyPairInfo(k["KeyName"], k.get("KeyPairId"), k.get("KeyFingerprint"))
                for k in reply.get("KeyPairs", [])
            ),
            key=lambda k: k.name,
        )

    def create_key_pair(self, name: str, key_dir: str = "~/.ssh") -> str:
        """Create a key pair and save its private key as ``<key_dir>/<name>.pem``, mode 0600.

        Shell equivalent: ``aws ec2 create-key-pair --key-name NAME --query KeyMaterial
        --output text > ~/.ssh/NAME.pem && chmod 600 ~/.ssh/NAME.pem``. The file is checked
        before EC2 is asked, and created exclusively: an existing file is never overwritten.
        Returns the file's path. Raises LaunchError (bad name, file exists, cannot write;
        the key pair is deleted again when its file cannot be written), AwsError.
        """
        _check_key_name(name)
        path = os.path.join(os.path.expanduser(key_dir), f"{name}.pem")
        if os.path.exists(path):
            raise LaunchError(
                f"{path} exists already: refusing to overwrite it.",
                hint="Choose another key name, or use the existing key pair.",
            )
        with self._aws.errors("ec2"):
            reply = self._ec2.create_key_pair(KeyName=name, KeyType="rsa")
        try:
            os.makedirs(os.path.dirname(path), mode=0o700, exist_ok=True)
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(descriptor, "w", encoding="ascii") as handle:
                handle.write(reply["KeyMaterial"].rstrip("\n") + "\n")
        except OSError as exc:
            # the private key exists nowhere else: a key pair without it is useless
            with self._aws.errors("ec2"):
                self._ec2.delete_key_pair(KeyName=name)
            raise LaunchError(f"Cannot write {path}: {exc.strerror or exc}.") from exc
        return path

    def import_key_pair(self, name: str, public_key_path: str) -> KeyPairInfo:
        """Upload a public key (``aws ec2 import-key-pair --key-name NAME
        --public-key-material fileb://~/.ssh/id_ed25519.pub``).
        Raises LaunchError (unreadable or not a public key), AwsError."""
        _check_key_name(name)
        path = os.path.expanduser(public_key_path)
        try:
            with open(path, "rb") as handle:
                material = handle.read()
        except OSError as exc:
            raise LaunchError(f"Cannot read {path}: {exc.strerror or exc}.") from exc
        if not material.startswith((b"ssh-", b"ecdsa-")):
            raise LaunchError(f"{path} is not an OpenSSH public key.")
        with self._aws.errors("ec2"):
            reply = self._ec2.import_key_pair(KeyName=name, PublicKeyMaterial=material)
        return KeyPairInfo(reply["KeyName"], reply.get("KeyPairId"), reply.get("KeyFingerprint"))

    def public_key_candidates(self, ssh_dir: str = "~/.ssh") -> list[str]:
        """``~/.ssh/id_*.pub`` (``ls ~/.ssh/id_*.pub``): keys the wizard offers to import."""
        return public_key_candidates(ssh_dir)

    def my_public_ip(self) -> str | None:
        """This machine's public IPv4 address, None when it cannot be found (offline)."""
        return my_public_ip()

    # -- security groups ---------------------------------------------------------------------

    def create_ssh_group(self, name: str, cidr: str, *, confirmed: str | None = None) -> str:
        """A security group allowing SSH (tcp 22) from ``cidr`` only; returns its id.

        Shell equivalent: ``aws ec2 create-security-group --group-name NAME …`` then
        ``aws ec2 authorize-security-group-ingress --group-id ID --protocol tcp --port 22
        --cidr CIDR`` (``--ip-permissions …Ipv6Ranges…`` for IPv6). A bare address becomes
        ``/32`` (``/128``). A range wider than one address is refused unless ``confirmed``
        is that same range (what the user typed to confirm it). Raises LaunchError for a
        malformed CIDR and an unconfirmed wide one (before anything is created); AwsError.
        """
        cidr = normalise_cidr(cidr)
        if is_wide(cidr) and not (confirmed is not None and _same_range(confirmed, cidr)):
            raise LaunchError(
                f"SSH from {cidr} opens the instance to {describe_range(cidr)}: "
                "type the range to confirm it.",
                hint="Use your own address (/32), or confirm the wider rule.",
            )
        network = ipaddress.ip_network(cidr)
        if network.version == 4:
            ranges: dict[str, Any] = {"IpRanges": [{"CidrIp": cidr, "Description": "SSH"}]}
        else:
            ranges = {"Ipv6Ranges": [{"CidrIpv6": cidr, "Description": "SSH"}]}
        with self._aws.errors("ec2"):
            group_id = self._ec2.create_security_group(
                GroupName=name, Description=f"SSH from {cidr} (awsconsole)"
            )["GroupId"]
            self._ec2.authorize_security_group_ingress(
                GroupId=group_id,
                IpPermissions=[{"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, **ranges}],
            )
        return group_id

    # -- launching ---------------------------------------------------------------------------

    def launch(self, request: LaunchRequest, *, read_only: bool = False) -> Instance:
        """Dry run, then ``aws ec2 run-instances`` for ``request``; returns the new instance.

        Raises ReadOnlyError, LaunchError (the dry run found a problem: its message says
        which), AccessDeniedError, CredentialsError, EndpointError.
        """
        if read_only:
            raise ReadOnlyError(f"Launching {request.name!r} was refused: read-only.")
        answer = self.dry_run(request)
        if not answer.would_succeed:
            code, _, message = answer.reason.partition(": ")
            raise LaunchError(
                f"The dry run of {request.instance_type} failed: {message or code}",
                hint=code if message else None,
            )
        arguments = self.run_arguments(request)
        with self._aws.errors("ec2"):
            reply = self._ec2.run_instances(**arguments)
        return instance_from_api(reply["Instances"][0])

    def dry_run(self, request: LaunchRequest) -> DryRunAnswer:
        """Would ``request`` launch? ``aws ec2 run-instances --dry-run …``: EC2 checks the
        permissions and parameters and creates nothing. An unknown AMI, a type the region
        or zone does not offer, a missing permission: the answer's ``reason`` says which
        (EC2's code and message). Raises CredentialsError, EndpointError (no answer at all).
        """
        try:
            arguments = self.run_arguments(request)
        except ConsoleError as exc:  # the AMI's root device could not be read
            return DryRunAnswer(False, exc.message)
        try:
            self._ec2.run_instances(DryRun=True, **arguments)
        except boto.ClientError as exc:
            error = exc.response.get("Error", {})
            code = error.get("Code", "")
            if code == "DryRunOperation":
                return DryRunAnswer(True)
            if code in ("AuthFailure", "InvalidClientTokenId", "ExpiredToken"):
                raise self._aws.translate(exc, "ec2") from exc
            return DryRunAnswer(False, f"{code}: {error.get('Message', '')}".strip(": "))
        except boto.BotoCoreError as exc:
            raise self._aws.translate(exc, "ec2") from exc
        # an endpoint that ignores DryRun would have answered with an instance: that is
        # still a yes to "would it launch"
        return DryRunAnswer(True)

    def review(
        self,
        request: LaunchRequest,
        *,
        price: HourlyPrice | None = None,
        created_on_confirm: tuple[str, ...] = (),
    ) -> LaunchReview:
        """What launching ``request`` will do and cost, creating nothing: the AMI
        (``describe-images``), the type's hardware (``describe-instance-types``), the vCPU
        quota and how much of it is used (``service-quotas get-service-quota``,
        ``describe-instances``), and the dry run's answer. ``request`` holds only what
        exists now; ``created_on_confirm`` names what the launch will create first (a new
        key pair, the SSH group), for the answer to say the dry run went without them.
        ``price`` is shown as given. Raises CredentialsError, EndpointError.
        """
        try:
            image = self.image(request.image_id)
        except ConsoleError:
            image = None  # the dry run says why
        types = self._type_info(request.instance_type)
        quotas = QuotaService(self._aws)
        quota = quotas.vcpu_limit(request.instance_type, spot=request.spot)
        try:
            in_use: int | None = quotas.vcpus_in_use(request.instance_type, spot=request.spot)
        except ConsoleError:
            in_use = None
        answer = self.dry_run(request)
        if created_on_confirm:
            answer = replace(answer, left_out=tuple(created_on_confirm))
        root_device = None
        if image is not None:
            try:
                root_device = request.root_device or self.image_root_device(request.image_id)
            except ConsoleError:
                root_device = None
        return LaunchReview(
            request=request,
            image=image,
            type_info=types,
            price=price,
            quota=QuotaUse(quota, in_use, types.vcpus if types is not None else None),
            dry_run=answer,
            root_device=root_device,
        )

    def _type_info(self, instance_type: str) -> InstanceTypeInfo | None:
        try:
            reply = self._ec2.describe_instance_types(InstanceTypes=[instance_type])
        except boto.ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "InvalidInstanceType":
                return None
            raise self._aws.translate(exc, "ec2") from exc
        except boto.BotoCoreError as exc:
            raise self._aws.translate(exc, "ec2") from exc
        found = reply.get("InstanceTypes", [])
        return instance_type_from_api(found[0]) if found else None

    def run_arguments(self, request: LaunchRequest) -> dict[str, Any]:
        """The keyword arguments of run_instances for ``request``."""
        arguments: dict[str, Any] = {
            "ImageId": request.image_id,
            "InstanceType": request.instance_type,
            "MinCount": 1,
            "MaxCount": 1,
            "TagSpecifications": [
                {"ResourceType": "instance", "Tags": [{"Key": "Name", "Value": request.name}]}
            ],
        }
        if request.key_name:
            arguments["KeyName"] = request.key_name
        if request.security_group_ids:
            arguments["SecurityGroupIds"] = list(request.security_group_ids)
        if request.spot:
            arguments["InstanceMarketOptions"] = {
                "MarketType": "spot",
                "SpotOptions": {"SpotInstanceType": "one-time"},
            }
        if request.root_volume_gib:
            device = request.root_device or self.image_root_device(request.image_id)
            arguments["BlockDeviceMappings"] = [
                {
                    "DeviceName": device,
                    "Ebs": {
                        "VolumeSize": int(request.root_volume_gib),
                        "VolumeType": "gp3",
                        "DeleteOnTermination": True,
                    },
                }
            ]
        return arguments

    def image_root_device(self, image_id: str) -> str:
        with self._aws.errors("ec2"):
            images = self._ec2.describe_images(ImageIds=[image_id]).get("Images", [])
        return (images[0].get("RootDeviceName") if images else None) or "/dev/sda1"


def image_from_api(raw: dict[str, Any]) -> ImageInfo:
    return ImageInfo(
        image_id=raw["ImageId"],
        name=raw.get("Name", ""),
        created=raw.get("CreationDate", ""),
        description=raw.get("Description", ""),
        architecture=raw.get("Architecture", ""),
    )


def public_key_candidates(ssh_dir: str = "~/.ssh") -> list[str]:
    """``~/.ssh/id_*.pub``: the public keys the wizard offers to import."""
    return sorted(glob.glob(os.path.join(os.path.expanduser(ssh_dir), "id_*.pub")))


def normalise_cidr(text: str) -> str:
    """``203.0.113.7`` -> ``203.0.113.7/32``, ``2001:db8::7`` -> ``2001:db8::7/128``, and a
    range to its network (``10.1.2.3/8`` -> ``10.0.0.0/8``); raises LaunchError naming bad
    input."""
    text = text.strip()
    try:
        network = ipaddress.ip_network(text, strict=False)
    except ValueError as exc:
        raise LaunchError(f"{text!r} is not an IP address or CIDR block.") from exc
    return str(network)


def is_wide(cidr: str) -> bool:
    """True for a range holding more than one address: an IPv4 prefix shorter than /32, an
    IPv6 one shorter than /128 (``0.0.0.0/0``, ``0.0.0.0/1``, ``10.0.0.0/8``, ``::/0``).
    Raises LaunchError for malformed input."""
    network = ipaddress.ip_network(normalise_cidr(cidr))
    return network.prefixlen < network.max_prefixlen


def describe_range(cidr: str) -> str:
    """``0.0.0.0/0`` -> "the whole IPv4 internet", ``10.0.0.0/8`` -> "16,777,216
    addresses"."""
    network = ipaddress.ip_network(normalise_cidr(cidr))
    if network.prefixlen == 0:
        return f"the whole IPv{network.version} internet"
    if network.num_addresses > 10**12:
        return f"2^{network.max_prefixlen - network.prefixlen} addresses"
    return f"{network.num_addresses:,} addresses"


def _same_range(typed: str, cidr: str) -> bool:
    try:
        return normalise_cidr(typed) == cidr
    except LaunchError:
        return False


def my_public_ip(timeout: float = 3.0) -> str | None:
    """This machine's public IPv4 address as AWS sees it (``curl checkip.amazonaws.com``);
    None when offline or the answer is not an address: the wizard then asks the user."""
    try:
        with urllib.request.urlopen(PUBLIC_IP_URL, timeout=timeout) as reply:
            text = reply.read(64).decode("ascii", errors="replace").strip()
        return str(ipaddress.IPv4Address(text))
    except (OSError, ValueError):
        return None


def _check_key_name(name: str) -> None:
    if not name or "/" in name or name.startswith(".") or any(c.isspace() for c in name):
        raise ConfigError(f"{name!r} is not a usable key pair name (no spaces, slashes).")
