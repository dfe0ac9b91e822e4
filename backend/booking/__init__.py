"""Booking: arrival windows a customer may pick, computed from the engineers' real time."""
