"""commons"""
