"""EPCIS 2.0 REST binding errors: RFC 7807 problem details with the standard's exception types,
plus the project's stable code and Vietnamese/English messages."""

from __future__ import annotations

from typing import Any

from tinhso.core.errors import DomainError

VALIDATION = "epcisException:ValidationException"
QUERY_PARAMETER = "epcisException:QueryParameterException"
NO_SUCH_RESOURCE = "epcisException:NoSuchResourceException"
ALREADY_EXISTS = "epcisException:ResourceAlreadyExistsException"
CAPTURE_LIMIT = "epcisException:CaptureLimitExceededException"
SECURITY = "epcisException:SecurityException"
UNSUPPORTED_MEDIA = "epcisException:UnsupportedMediaTypeException"
IMPLEMENTATION = "epcisException:ImplementationException"
NO_SUCH_NAME = "epcisException:NoSuchNameException"
SUBSCRIPTION_CONTROLS = "epcisException:SubscriptionControlsException"


class EpcisError(DomainError):
    """A domain error that the EPCIS views render as ``application/problem+json``."""

    def __init__(self, problem_type: str, status: int, code: str, message_vi: str,
                 message_en: str, details: Any = None) -> None:
        super().__init__(code, message_vi, message_en, details, status=status)
        self.problem_type = problem_type

    def problem(self, instance: str = "") -> dict[str, Any]:
        body: dict[str, Any] = {"type": self.problem_type, "title": self.message_en,
                                "status": self.status, "detail": self.message_vi,
                                "code": self.code, "message_vi": self.message_vi,
                                "message_en": self.message_en}
        if instance:
            body["instance"] = instance
        if self.details:
            body["errors"] = self.details
        return body


def invalid(problems: list[tuple[str, str]], index: int | None = None) -> EpcisError:
    prefix = "" if index is None else f"/epcisBody/eventList/{index}"
    return EpcisError(VALIDATION, 400, "TRACE_INVALID_EVENT",
                      "Sự kiện không hợp lệ theo lược đồ EPCIS 2.0 / CBV 2.0.",
                      "The event breaks the EPCIS 2.0 / CBV 2.0 rules.",
                      [{"pointer": prefix + pointer, "message": message}
                       for pointer, message in problems[:50]])


def forbidden(message_vi: str, message_en: str, details: Any = None) -> EpcisError:
    return EpcisError(SECURITY, 403, "TRACE_FORBIDDEN", message_vi, message_en, details)


def exists(event_id: str) -> EpcisError:
    return EpcisError(ALREADY_EXISTS, 409, "TRACE_EVENT_EXISTS",
                      "Sự kiện với eventID này đã được ghi nhận.",
                      "An event with this eventID has already been captured.",
                      {"eventID": event_id})


def not_found(what_vi: str, what_en: str) -> EpcisError:
    return EpcisError(NO_SUCH_RESOURCE, 404, "TRACE_NOT_FOUND", what_vi, what_en)


def query_parameter(message_vi: str, message_en: str, details: Any = None) -> EpcisError:
    return EpcisError(QUERY_PARAMETER, 400, "TRACE_BAD_QUERY", message_vi, message_en, details)


def no_such_name(name: str) -> EpcisError:
    return EpcisError(NO_SUCH_NAME, 404, "TRACE_NO_SUCH_QUERY",
                      "Không có truy vấn đặt tên này.", "No such named query.",
                      {"queryName": name})


def subscription_controls(problems: list[tuple[str, str]]) -> EpcisError:
    return EpcisError(SUBSCRIPTION_CONTROLS, 400, "TRACE_BAD_SUBSCRIPTION",
                      "Đăng ký nhận sự kiện không hợp lệ.", "Invalid subscription controls.",
                      [{"pointer": pointer, "message": message} for pointer, message in problems])


def dest_refused(refused: Any) -> EpcisError:
    """The guard of outgoing requests refused ``dest`` (an internal address, an odd form …):
    its own stable code and messages, as a SubscriptionControlsException."""
    return EpcisError(SUBSCRIPTION_CONTROLS, 400, refused.code, refused.message_vi,
                      refused.message_en, [{"pointer": "/dest", "message": refused.message_en,
                                            **refused.details}])
