"""Events: planning them, their check-in codes, attendance and attendance rates."""
